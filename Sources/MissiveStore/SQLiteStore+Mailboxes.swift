import Foundation
import GRDB
import MissiveCore

extension SQLiteStore: MailboxStore {
    public func deliver(_ letter: MailboxLetter) async throws -> MailboxLetter {
        try await write { db in
            if let existing = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM mailbox_letters WHERE envelope_id = ?"), arguments: [letter.envelopeID.rawValue]) {
                return try Self.letter(existing)
            }
            // The arrival number orders the business inbox's export feed: one writer at a time,
            // so numbers are given in commit order and a reader's cursor never skips a letter.
            try db.cachedStatement(sql: """
                INSERT INTO mailbox_letters (id, mailbox_id, envelope_id, organisation_id, sender_name, kind, title, delivered_at, consulted_at, document, attachment_count, document_key,
                    mode, sender_uid, sender_key, title_key, arrival)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(arrival), 0) + 1 FROM mailbox_letters WHERE mailbox_id = ?))
                """).execute(arguments: [
                    letter.id.rawValue, letter.mailboxID.rawValue, letter.envelopeID.rawValue, letter.organisationID.rawValue,
                    letter.senderName, letter.kind.rawValue, letter.title, letter.deliveredAt.storage, letter.consultedAt?.storage,
                    try JSONColumn.encode(letter.document), letter.attachmentCount, letter.documentKey,
                    letter.mode.rawValue, letter.senderUID, SearchKey.fold(letter.senderName), SearchKey.fold(letter.title ?? ""), letter.mailboxID.rawValue,
                ])
            try Self.enqueueLetterReceived(letter, db)
            return letter
        }
    }

    public func letters(in mailbox: MailboxID, unreadOnly: Bool, after cursor: LetterID?, limit: Int) async throws -> [MailboxLetter] {
        try await read { db in
            var sql = "SELECT * FROM mailbox_letters WHERE mailbox_id = ?"
            var arguments: StatementArguments = [mailbox.rawValue]
            if unreadOnly { sql += " AND consulted_at IS NULL" }
            if let cursor { sql += " AND id < ?"; arguments += [cursor.rawValue] }
            sql += " ORDER BY id DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.letter)
        }
    }

    public func letter(_ id: LetterID, in mailbox: MailboxID) async throws -> MailboxLetter? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM mailbox_letters WHERE id = ? AND mailbox_id = ?"), arguments: [id.rawValue, mailbox.rawValue]).map(Self.letter)
        }
    }

    public func markConsulted(_ id: LetterID, at date: Date) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE mailbox_letters SET consulted_at = ? WHERE id = ? AND consulted_at IS NULL").execute(arguments: [date.storage, id.rawValue])
            return db.changesCount == 1
        }
    }

    public func organisationName(_ id: OrganisationID) async throws -> String? {
        try await read { db in try String.fetchOne(db.cachedStatement(sql: "SELECT name FROM organisations WHERE id = ?"), arguments: [id.rawValue]) }
    }

    public func organisationUID(_ id: OrganisationID) async throws -> String? {
        try await read { db in try String.fetchOne(db.cachedStatement(sql: "SELECT uid FROM organisations WHERE id = ?"), arguments: [id.rawValue]) }
    }

    static func letter(_ row: Row) throws -> MailboxLetter {
        guard let document = try JSONColumn.decode(DocumentRef.self, row["document"]) else { throw MissiveError(.unavailable, "Corrupt letter row.") }
        return MailboxLetter(
            id: LetterID(unchecked: row["id"]), mailboxID: MailboxID(unchecked: row["mailbox_id"]),
            envelopeID: EnvelopeID(unchecked: row["envelope_id"]), organisationID: OrganisationID(unchecked: row["organisation_id"]),
            senderName: row["sender_name"], kind: EnvelopeKind(rawValue: row["kind"]) ?? .letter, title: row["title"],
            deliveredAt: row.date("delivered_at"), consultedAt: row.optionalDate("consulted_at"), document: document,
            attachmentCount: row["attachment_count"], documentKey: row["document_key"],
            senderUID: row["sender_uid"], mode: Mode(rawValue: row["mode"]) ?? .live
        )
    }
}
