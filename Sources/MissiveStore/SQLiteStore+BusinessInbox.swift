import Foundation
import GRDB
import MissiveCore

/// Organisations' business inboxes: a mailbox per organisation, found through a `business`
/// directory entry that follows the organisation's verification in the same transaction as
/// every change of it (registration, profile change, verification). The entry is verified
/// only while the organisation is; its UID and postal address are the last *verified* ones,
/// so a claimed but unchecked address never draws anyone's letters.
extension SQLiteStore: BusinessInboxStore {
    public func businessInbox(of organisation: OrganisationID) async throws -> BusinessInbox? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT b.mailbox_id, b.directory_entry_id, d.verified, d.uid, d.postal FROM business_inboxes AS b
                JOIN directory_entries AS d ON d.id = b.directory_entry_id WHERE b.organisation_id = ?
                """), arguments: [organisation.rawValue]).map { row in
                BusinessInbox(
                    organisationID: organisation, mailboxID: MailboxID(unchecked: row["mailbox_id"]),
                    directoryEntryID: DirectoryEntryID(unchecked: row["directory_entry_id"]), active: row["verified"],
                    uid: row["uid"], postal: try JSONColumn.decode(PostalAddress.self, row["postal"])
                )
            }
        }
    }

    public func searchInbox(_ mailbox: MailboxID, mode: Mode, query: InboxQuery, after cursor: LetterID?, limit: Int) async throws -> [MailboxLetter] {
        try await read { db in
            var clauses = ["mailbox_id = ?", "mode = ?"]
            var arguments: StatementArguments = [mailbox.rawValue, mode.rawValue]
            if let sender = query.sender { clauses.append("sender_key LIKE ? ESCAPE '\\'"); arguments += [SearchKey.containing(sender)] }
            if let title = query.title { clauses.append("title_key LIKE ? ESCAPE '\\'"); arguments += [SearchKey.containing(title)] }
            if let kind = query.kind { clauses.append("kind = ?"); arguments += [kind.rawValue] }
            if let from = query.receivedFrom { clauses.append("delivered_at >= ?"); arguments += [from.storage] }
            if let to = query.receivedTo { clauses.append("delivered_at < ?"); arguments += [to.storage] }
            if query.unreadOnly { clauses.append("consulted_at IS NULL") }
            if let cursor { clauses.append("id < ?"); arguments += [cursor.rawValue] }
            arguments += [limit]
            let sql = "SELECT * FROM mailbox_letters WHERE \(clauses.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.letter)
        }
    }

    public func inboxFeed(_ mailbox: MailboxID, mode: Mode, after cursor: InboxCursor, limit: Int) async throws -> [(MailboxLetter, InboxCursor)] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM mailbox_letters WHERE mailbox_id = ? AND arrival > ? AND mode = ? ORDER BY arrival LIMIT ?"), arguments: [
                mailbox.rawValue, cursor.arrival, mode.rawValue, limit,
            ]).map { (try Self.letter($0), InboxCursor(arrival: $0["arrival"])) }
        }
    }

    /// Sets the profile of an organisation the operator vouches for (the sandbox's demo
    /// organisation) and keeps it verified, so its business inbox is reachable at once.
    public func setVouchedProfile(_ profile: OrganisationProfile, for id: OrganisationID) async throws {
        try profile.validate()
        try await write { db in
            try db.cachedStatement(sql: """
                UPDATE organisations SET name = ?, legal_name = ?, uid = ?, postal = ?, state = 'verified', state_reason = NULL, verified = 1
                WHERE id = ?
                """).execute(arguments: [profile.legalName, profile.legalName, profile.uid, try JSONColumn.encode(profile.postal), id.rawValue])
            guard db.changesCount == 1 else { throw MissiveError(.notFound, "No such organisation.") }
            try Self.syncBusinessInbox(of: id, db)
        }
    }

    /// Makes the organisation's business inbox follow the organisation: created on first
    /// call; verified only while the organisation is; the UID and postal address of its
    /// directory entry taken from the profile only when that profile is verified (a changed,
    /// unchecked address keeps the last verified one until the new code is entered).
    static func syncBusinessInbox(of organisation: OrganisationID, _ db: Database) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT state, uid, postal FROM organisations WHERE id = ?"), arguments: [organisation.rawValue]) else { return }
        let verified = OrganisationState(rawValue: row["state"]) == .verified
        var entry: DirectoryEntry
        if let id = try String.fetchOne(db.cachedStatement(sql: "SELECT directory_entry_id FROM business_inboxes WHERE organisation_id = ?"), arguments: [organisation.rawValue]),
           let existing = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM directory_entries WHERE id = ?"), arguments: [id]) {
            entry = try directoryEntry(existing)
        } else {
            entry = DirectoryEntry(kind: .business, postal: nil, mailboxID: .generate(), verified: false)
            try db.cachedStatement(sql: "INSERT INTO business_inboxes (organisation_id, mailbox_id, directory_entry_id, created_at) VALUES (?, ?, ?, ?)").execute(arguments: [
                organisation.rawValue, entry.mailboxID?.rawValue, entry.id.rawValue, Date().storage,
            ])
        }
        entry.verified = verified
        if verified {
            entry.uid = row["uid"]
            entry.postal = try JSONColumn.decode(PostalAddress.self, row["postal"])
        }
        try upsertEntry(entry, db)
    }

    /// Gives every organisation that has none its business inbox: those from before inboxes
    /// existed (run once the schema is migrated; new organisations get theirs when created).
    static func ensureBusinessInboxes(_ db: Database) throws {
        for id in try String.fetchAll(db, sql: "SELECT id FROM organisations WHERE id NOT IN (SELECT organisation_id FROM business_inboxes) ORDER BY created_at") {
            try syncBusinessInbox(of: OrganisationID(unchecked: id), db)
        }
    }

    /// Queues `letter.received` for the subscriptions of the organisation whose business
    /// inbox the letter was placed in, in the transaction that placed it. Live letters only:
    /// a test letter (which any newly registered organisation can send) never reaches an
    /// organisation's systems.
    static func enqueueLetterReceived(_ letter: MailboxLetter, _ db: Database) throws {
        guard letter.mode == .live,
              let organisation = try String.fetchOne(db.cachedStatement(sql: "SELECT organisation_id FROM business_inboxes WHERE mailbox_id = ?"), arguments: [letter.mailboxID.rawValue])
        else { return }
        let subscriptions = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, inbox_event_types FROM webhooks WHERE organisation_id = ? AND format = ?"), arguments: [
            organisation, WebhookFormat.standardWebhooks.rawValue,
        ])
        let wanted = try subscriptions.filter { try (JSONColumn.decode([InboxEventType].self, $0["inbox_event_types"]) ?? []).contains(.letterReceived) }
        guard !wanted.isEmpty else { return }
        let payload = WebhookMessage.letterReceivedBody(letter)
        for subscription in wanted {
            try insertDelivery(
                id: DeliveryID.generate(at: letter.deliveredAt), webhook: subscription["id"], organisation: organisation, event: nil,
                envelope: nil, type: InboxEventType.letterReceived.rawValue, payload: payload, due: letter.deliveredAt, createdAt: letter.deliveredAt, db
            )
        }
    }

    /// v11: search keys, arrival numbers and modes for the letters there are (the
    /// organisations' inboxes come after the migrations, ``ensureBusinessInboxes(_:)``).
    static func migrateBusinessInboxes(_ db: Database) throws {
        try db.execute(sql: "UPDATE mailbox_letters SET mode = COALESCE((SELECT mode FROM envelopes WHERE envelopes.id = mailbox_letters.envelope_id), 'live')")
        var arrivals: [String: Int64] = [:]
        let rows = try Row.fetchAll(db, sql: "SELECT id, mailbox_id, sender_name, title FROM mailbox_letters ORDER BY delivered_at, id")
        for row in rows {
            let mailbox: String = row["mailbox_id"]
            let arrival = (arrivals[mailbox] ?? 0) + 1
            arrivals[mailbox] = arrival
            try db.cachedStatement(sql: "UPDATE mailbox_letters SET arrival = ?, sender_key = ?, title_key = ? WHERE id = ?").execute(arguments: [
                arrival, SearchKey.fold(row["sender_name"]), SearchKey.fold(row["title"] ?? ""), row["id"] as String,
            ])
        }
    }
}
