import Foundation
import GRDB
import MissiveCore

extension SQLiteStore: APIKeyStore {
    public func apiKeys(of organisation: OrganisationID) async throws -> [APIKeyInfo] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM api_keys WHERE organisation_id = ? ORDER BY created_at, id"), arguments: [organisation.rawValue]).map(Self.keyInfo)
        }
    }

    public func mintAPIKey(organisation: OrganisationID, mode: Mode, name: String?, roles: Roles) async throws -> (APIKeyInfo, String) {
        let (id, secret) = try await createAPIKey(organisation: organisation, mode: mode, name: name, roles: roles)
        guard let info = try await apiKey(id, organisation: organisation) else { throw MissiveError(.notFound, "No such key.") }
        return (info, secret)
    }

    public func revokeAPIKey(_ key: APIKeyID, organisation: OrganisationID, at date: Date) async throws {
        try await write { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_keys WHERE id = ? AND organisation_id = ?"), arguments: [key.rawValue, organisation.rawValue]) else {
                throw MissiveError(.notFound, "No such key.")
            }
            let info = try Self.keyInfo(row)
            guard info.revokedAt == nil else { return }
            if info.roles.contains(.admin) {
                let admins = try Row.fetchAll(db.cachedStatement(sql: "SELECT roles FROM api_keys WHERE organisation_id = ? AND id != ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"), arguments: [organisation.rawValue, key.rawValue, date.storage])
                    .filter { Self.roles($0["roles"]).contains(.admin) }
                guard !admins.isEmpty else {
                    throw MissiveError(.conflict, "This is the organisation's last working admin key; mint another admin key first.")
                }
            }
            try db.cachedStatement(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ?").execute(arguments: [date.storage, key.rawValue])
        }
    }

    public func rotateAPIKey(_ key: APIKeyID, organisation: OrganisationID, until date: Date) async throws -> (APIKeyInfo, String) {
        guard let old = try await apiKey(key, organisation: organisation), old.revokedAt == nil, old.expiresAt.map({ $0 > Date() }) ?? true else {
            throw MissiveError(.notFound, "No such working key.")
        }
        let minted = try await mintAPIKey(organisation: organisation, mode: old.mode, name: old.name, roles: old.roles)
        try await write { db in
            try db.cachedStatement(sql: "UPDATE api_keys SET expires_at = ? WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)").execute(arguments: [date.storage, key.rawValue, date.storage])
        }
        return minted
    }

    func apiKey(_ key: APIKeyID, organisation: OrganisationID) async throws -> APIKeyInfo? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_keys WHERE id = ? AND organisation_id = ?"), arguments: [key.rawValue, organisation.rawValue]).map(Self.keyInfo)
        }
    }

    static func keyInfo(_ row: Row) throws -> APIKeyInfo {
        APIKeyInfo(
            id: APIKeyID(unchecked: row["id"]), name: row["name"], mode: Mode(rawValue: row["mode"]) ?? .test, roles: roles(row["roles"]),
            createdAt: row.date("created_at"), lastUsedAt: row.optionalDate("last_used_at"), expiresAt: row.optionalDate("expires_at"), revokedAt: row.optionalDate("revoked_at")
        )
    }
}
