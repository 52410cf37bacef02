import Foundation
import GRDB
import MissiveCore

extension SQLiteStore: RecipientDirectory {
    public func resolve(_ recipient: Recipient) async throws -> DirectoryMatch {
        try await read { db in try Self.resolve(recipient, db) }
    }

    /// One read transaction for the whole batch.
    public func resolve(_ recipients: [Recipient]) async throws -> [DirectoryMatch] {
        try await read { db in try recipients.map { try Self.resolve($0, db) } }
    }

    /// By ePost address, UID, eBill id, then postal address; the first identifier that finds
    /// anything decides. Two entries for one identifier are `multiple`, never a guess.
    static func resolve(_ recipient: Recipient, _ db: Database) throws -> DirectoryMatch {
        var lookups: [(String, String)] = []
        if let address = recipient.ePostAddress { lookups.append(("epost_address", address.lowercased())) }
        if let uid = recipient.uid { lookups.append(("uid", uid)) }
        if let id = recipient.eBillID { lookups.append(("ebill_id", id)) }
        if let postal = recipient.postal { lookups.append(("match_key", postal.matchKey)) }
        for (column, value) in lookups {
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM directory_entries WHERE \(column) = ? LIMIT 5", arguments: [value])
            if rows.count > 1 { return .multiple(rows.count) }
            if let row = rows.first { return .found(try directoryEntry(row)) }
        }
        if let postal = recipient.postal {
            return try resolveWithoutNumber(postal, db)
        }
        return .notFound
    }

    /// The same name on the same street when one side has no house number: a unique entry is
    /// found, several are `multiple` (a query without number never picks one of two numbers).
    private static func resolveWithoutNumber(_ postal: PostalAddress, _ db: Database) throws -> DirectoryMatch {
        let number = postal.normalizedHouseNumber
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM directory_entries WHERE street_key = ? LIMIT 50"), arguments: [postal.streetKey])
        let candidates = try rows.map(directoryEntry).filter { entry in
            number.isEmpty || (entry.postal?.normalizedHouseNumber ?? "").isEmpty
        }
        switch candidates.count {
        case 0: return .notFound
        case 1: return .found(candidates[0])
        default: return .multiple(candidates.count)
        }
    }

    public func entry(forMailbox mailbox: MailboxID) async throws -> DirectoryEntry? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM directory_entries WHERE mailbox_id = ?"), arguments: [mailbox.rawValue]).map(Self.directoryEntry)
        }
    }

    public func setPreference(_ preference: DeliveryPreference, for entry: DirectoryEntryID) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE directory_entries SET preference = ? WHERE id = ?").execute(arguments: [preference.rawValue, entry.rawValue])
        }
    }

    /// Adds or replaces a directory entry.
    public func upsert(_ entry: DirectoryEntry) async throws {
        do {
            try await upsertEntry(entry)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw MissiveError(.conflict, "Another directory entry already has this ePost address or mailbox.")
        }
    }

    private func upsertEntry(_ entry: DirectoryEntry) async throws {
        try await write { db in try Self.upsertEntry(entry, db) }
    }

    /// Adds or replaces a directory entry with its match keys (also the business inboxes').
    static func upsertEntry(_ entry: DirectoryEntry, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO directory_entries (id, kind, postal, match_key, street_key, epost_address, uid, ebill_id, mailbox_id, preference, verified, opted_out, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, postal = excluded.postal, match_key = excluded.match_key, street_key = excluded.street_key,
                epost_address = excluded.epost_address, uid = excluded.uid, ebill_id = excluded.ebill_id,
                mailbox_id = excluded.mailbox_id, preference = excluded.preference, verified = excluded.verified,
                opted_out = excluded.opted_out
            """).execute(arguments: [
                entry.id.rawValue, entry.kind.rawValue, try JSONColumn.encode(entry.postal), entry.postal?.matchKey, entry.postal?.streetKey,
                entry.ePostAddress?.lowercased(), entry.uid, entry.eBillID, entry.mailboxID?.rawValue,
                entry.preference.rawValue, entry.verified, entry.optedOut, Date().storage,
            ])
    }

    /// Every directory entry (admin listing).
    public func directoryEntries() async throws -> [DirectoryEntry] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM directory_entries ORDER BY created_at")).map(Self.directoryEntry)
        }
    }

    static func directoryEntry(_ row: Row) throws -> DirectoryEntry {
        DirectoryEntry(
            id: DirectoryEntryID(unchecked: row["id"]), kind: DirectoryEntry.Kind(rawValue: row["kind"]) ?? .private,
            postal: try JSONColumn.decode(PostalAddress.self, row["postal"]), ePostAddress: row["epost_address"],
            uid: row["uid"], eBillID: row["ebill_id"], mailboxID: (row["mailbox_id"] as String?).map(MailboxID.init(unchecked:)),
            preference: DeliveryPreference(rawValue: row["preference"]) ?? .digital, verified: row["verified"], optedOut: row["opted_out"]
        )
    }

    public func alias(_ name: String, organisation: OrganisationID) async throws -> Recipient? {
        let json = try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT recipient FROM recipient_aliases WHERE organisation_id = ? AND alias = ?"), arguments: [organisation.rawValue, name.lowercased()])
        }
        return try json.flatMap { try JSONColumn.decode(Recipient.self, $0) }
    }

    /// Saves (or replaces) an alias in the organisation's address book.
    public func setAlias(_ name: String, recipient: Recipient, organisation: OrganisationID) async throws {
        try recipient.validate()
        guard name.utf8.count <= 64, name.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9._-]*/) != nil else {
            throw MissiveError(.invalidField, "An alias is 1 to 64 letters, digits, dots, dashes or underscores.")
        }
        let json = try JSONColumn.encode(recipient)
        try await write { db in
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO recipient_aliases (organisation_id, alias, recipient, created_at) VALUES (?, ?, ?, ?)").execute(arguments: [organisation.rawValue, name.lowercased(), json, Date().storage])
        }
    }

    /// The organisation's aliases.
    public func aliases(of organisation: OrganisationID) async throws -> [(String, Recipient)] {
        let rows = try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT alias, recipient FROM recipient_aliases WHERE organisation_id = ? ORDER BY alias"), arguments: [organisation.rawValue]).map { ($0["alias"] as String, $0["recipient"] as String) }
        }
        return try rows.compactMap { alias, json in try JSONColumn.decode(Recipient.self, json).map { (alias, $0) } }
    }
}
