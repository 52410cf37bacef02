import Foundation
import GRDB
import MissiveCore

/// A newly created organisation with its first key (the secret is shown once).
public struct CreatedOrganisation: Sendable, Codable {
    public var organisationID: OrganisationID
    public var apiKey: String
    public var keyID: APIKeyID
}

extension SQLiteStore: CredentialStore {
    public func principal(forSecretHash hash: String) async throws -> Principal? {
        try await read { db in
            if let row = try Row.fetchOne(db, sql: "SELECT id, organisation_id, mode FROM api_keys WHERE secret_hash = ? AND revoked_at IS NULL", arguments: [hash]) {
                return .organisation(OrganisationID(unchecked: row["organisation_id"]), key: APIKeyID(unchecked: row["id"]), mode: Mode(rawValue: row["mode"]) ?? .test)
            }
            if let mailbox = try String.fetchOne(db, sql: "SELECT mailbox_id FROM mailbox_keys WHERE secret_hash = ?", arguments: [hash]) {
                return .mailbox(MailboxID(unchecked: mailbox))
            }
            return nil
        }
    }

    public func touch(_ key: APIKeyID, at date: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ?", arguments: [date.storage, key.rawValue])
        }
    }

    /// Registers an organisation and mints its first API key.
    public func createOrganisation(name: String, mode: Mode, id: OrganisationID = .generate()) async throws -> CreatedOrganisation {
        let secret = BearerSecret.mint(prefix: mode == .test ? "mk_test_" : "mk_live_")
        let keyID = APIKeyID.generate()
        try await write { db in
            try db.execute(sql: "INSERT INTO organisations (id, name, verified, created_at) VALUES (?, ?, 1, ?)", arguments: [id.rawValue, name, Date().storage])
            try Self.insertKey(keyID, organisation: id, secret: secret, mode: mode, name: "first key", db)
        }
        return CreatedOrganisation(organisationID: id, apiKey: secret, keyID: keyID)
    }

    /// Mints another API key for an organisation; returns the secret (shown once).
    public func createAPIKey(organisation: OrganisationID, mode: Mode, name: String?) async throws -> (APIKeyID, String) {
        let secret = BearerSecret.mint(prefix: mode == .test ? "mk_test_" : "mk_live_")
        let keyID = APIKeyID.generate()
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM organisations WHERE id = ?", arguments: [organisation.rawValue]) != nil else {
                throw MissiveError(.notFound, "No such organisation.")
            }
            try Self.insertKey(keyID, organisation: organisation, secret: secret, mode: mode, name: name, db)
        }
        return (keyID, secret)
    }

    /// Revokes an API key; false if unknown.
    public func revokeAPIKey(_ key: APIKeyID) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [Date().storage, key.rawValue])
            return db.changesCount == 1
        }
    }

    static func insertKey(_ id: APIKeyID, organisation: OrganisationID, secret: String, mode: Mode, name: String?, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO api_keys (id, organisation_id, secret_hash, mode, name, created_at) VALUES (?, ?, ?, ?, ?, ?)", arguments: [id.rawValue, organisation.rawValue, BearerSecret.hash(secret), mode.rawValue, name, Date().storage])
    }

    /// Organisations with their names (admin listing).
    public func organisations() async throws -> [(OrganisationID, String)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM organisations ORDER BY created_at").map { (OrganisationID(unchecked: $0["id"]), $0["name"]) }
        }
    }

    /// Opens a digital mailbox for a directory entry and mints the recipient's key.
    public func createMailbox(for entry: DirectoryEntry) async throws -> (MailboxID, String) {
        let mailbox = entry.mailboxID ?? MailboxID.generate()
        let secret = BearerSecret.mint(prefix: "mbk_")
        var updated = entry
        updated.mailboxID = mailbox
        try await upsert(updated)
        try await write { db in
            try db.execute(sql: "INSERT INTO mailbox_keys (secret_hash, mailbox_id, created_at) VALUES (?, ?, ?)", arguments: [BearerSecret.hash(secret), mailbox.rawValue, Date().storage])
        }
        return (mailbox, secret)
    }
}
