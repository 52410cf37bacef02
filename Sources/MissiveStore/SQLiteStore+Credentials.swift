import Foundation
import GRDB
import Logging
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
            if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, organisation_id, mode, roles FROM api_keys WHERE secret_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"), arguments: [hash, Date().storage]) {
                return .organisation(OrganisationID(unchecked: row["organisation_id"]), key: APIKeyID(unchecked: row["id"]), mode: Mode(rawValue: row["mode"]) ?? .test, roles: Self.roles(row["roles"]))
            }
            if let mailbox = try String.fetchOne(db.cachedStatement(sql: "SELECT mailbox_id FROM mailbox_keys WHERE secret_hash = ?"), arguments: [hash]) {
                return .mailbox(MailboxID(unchecked: mailbox))
            }
            return nil
        }
    }

    public func touch(_ key: APIKeyID, at date: Date) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ?").execute(arguments: [date.storage, key.rawValue])
        }
    }

    public func digestCredentials(of organisation: OrganisationID) async throws -> [DigestCredential] {
        let rows = try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT id, mode, roles, secret_sealed FROM api_keys WHERE organisation_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?) AND secret_sealed IS NOT NULL"), arguments: [organisation.rawValue, Date().storage])
                .map { (id: $0["id"] as String, mode: $0["mode"] as String, roles: Self.roles($0["roles"]), sealed: $0["secret_sealed"] as Data) }
        }
        return rows.compactMap { row in
            let id = row.id
            guard let secret = sealer.open(row.sealed, context: id) else {
                logger.warning("an API key's sealed secret does not open with this secrets key", metadata: ["missive.key.id": "\(id)"])
                return nil
            }
            return DigestCredential(key: APIKeyID(unchecked: id), mode: Mode(rawValue: row.mode) ?? .test, secret: secret, roles: row.roles)
        }
    }

    public func senderDomainOwner(_ domain: String) async throws -> OrganisationID? {
        try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT organisation_id FROM sender_domains WHERE domain = ?"), arguments: [domain.lowercased()]).map(OrganisationID.init(unchecked:))
        }
    }

    /// Records that `organisation` verified `domain` for sending (a domain has one owner).
    public func addSenderDomain(_ domain: String, organisation: OrganisationID) async throws {
        let domain = domain.lowercased()
        try await write { db in
            if let owner = try String.fetchOne(db.cachedStatement(sql: "SELECT organisation_id FROM sender_domains WHERE domain = ?"), arguments: [domain]), owner != organisation.rawValue {
                throw MissiveError(.conflict, "The domain belongs to another organisation.")
            }
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO sender_domains (domain, organisation_id, created_at) VALUES (?, ?, ?)").execute(arguments: [domain, organisation.rawValue, Date().storage])
        }
    }

    /// The sender domains of an organisation.
    public func senderDomains(of organisation: OrganisationID) async throws -> [String] {
        try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT domain FROM sender_domains WHERE organisation_id = ? ORDER BY domain"), arguments: [organisation.rawValue])
        }
    }

    public func claimNonce(_ nonce: String, organisation: OrganisationID, expiresAt: Date, now: Date) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "DELETE FROM wsse_nonces WHERE expires_at < ?").execute(arguments: [now.storage])
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO wsse_nonces (organisation_id, nonce, expires_at) VALUES (?, ?, ?)").execute(arguments: [organisation.rawValue, nonce, expiresAt.storage])
            return db.changesCount == 1
        }
    }

    /// Registers an organisation and mints its first API key.
    public func createOrganisation(name: String, mode: Mode, id: OrganisationID = .generate()) async throws -> CreatedOrganisation {
        let secret = BearerSecret.mint(prefix: mode == .test ? "mk_test_" : "mk_live_")
        let keyID = APIKeyID.generate()
        let sealed = try sealer.seal(secret, context: keyID.rawValue)
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO organisations (id, name, verified, created_at) VALUES (?, ?, 1, ?)").execute(arguments: [id.rawValue, name, Date().storage])
            try Self.insertKey(keyID, organisation: id, secret: secret, sealed: sealed, mode: mode, name: "first key", db)
            try Self.syncBusinessInbox(of: id, db)
        }
        return CreatedOrganisation(organisationID: id, apiKey: secret, keyID: keyID)
    }

    /// Roles as stored: NULL (keys from before roles) means every role.
    static func roles(_ stored: Int?) -> Roles {
        stored.map(Roles.init(rawValue:)) ?? .all
    }

    /// Mints another API key for an organisation; returns the secret (shown once).
    public func createAPIKey(organisation: OrganisationID, mode: Mode, name: String?, roles: Roles = .all) async throws -> (APIKeyID, String) {
        let secret = BearerSecret.mint(prefix: mode == .test ? "mk_test_" : "mk_live_")
        let keyID = APIKeyID.generate()
        let sealed = try sealer.seal(secret, context: keyID.rawValue)
        try await write { db in
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM organisations WHERE id = ?"), arguments: [organisation.rawValue]) != nil else {
                throw MissiveError(.notFound, "No such organisation.")
            }
            try Self.insertKey(keyID, organisation: organisation, secret: secret, sealed: sealed, mode: mode, name: name, db)
            if roles != .all {
                try db.cachedStatement(sql: "UPDATE api_keys SET roles = ? WHERE id = ?").execute(arguments: [roles.rawValue, keyID.rawValue])
            }
        }
        return (keyID, secret)
    }

    /// Revokes an API key; false if unknown.
    public func revokeAPIKey(_ key: APIKeyID) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").execute(arguments: [Date().storage, key.rawValue])
            return db.changesCount == 1
        }
    }

    static func insertKey(_ id: APIKeyID, organisation: OrganisationID, secret: String, sealed: Data, mode: Mode, name: String?, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO api_keys (id, organisation_id, secret_hash, secret_sealed, mode, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)").execute(arguments: [id.rawValue, organisation.rawValue, BearerSecret.hash(secret), sealed, mode.rawValue, name, Date().storage])
    }

    /// Organisations with their names (admin listing).
    public func organisations() async throws -> [(OrganisationID, String)] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT id, name FROM organisations ORDER BY created_at")).map { (OrganisationID(unchecked: $0["id"]), $0["name"]) }
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
            try db.cachedStatement(sql: "INSERT INTO mailbox_keys (secret_hash, mailbox_id, created_at) VALUES (?, ?, ?)").execute(arguments: [BearerSecret.hash(secret), mailbox.rawValue, Date().storage])
        }
        return (mailbox, secret)
    }
}
