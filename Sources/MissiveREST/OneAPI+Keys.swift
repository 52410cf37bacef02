import Foundation
import MissiveCore
import OpenAPIRuntime

extension OneAPI {
    public func listAPIKeys(_ input: Operations.ListAPIKeys.Input) async throws -> Operations.ListAPIKeys.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        let keys = try await keyAccess().store.apiKeys(of: organisation)
        return .ok(.init(body: .json(.init(items: keys.map(Wire.key)))))
    }

    public func createAPIKey(_ input: Operations.CreateAPIKey.Input) async throws -> Operations.CreateAPIKey.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        try Self.check(body.name, max: 100, "name")
        if let name = body.name, name.hasControlCharacters {
            throw MissiveError(.invalidRequest, "name must not contain control characters.", pointer: "/name")
        }
        guard Set(body.roles).count == body.roles.count else {
            throw MissiveError(.invalidRequest, "roles must not repeat a role.", pointer: "/roles")
        }
        guard let roles = Roles(names: body.roles.map(\.rawValue)), !roles.isEmpty else {
            throw MissiveError(.invalidField, "roles must name at least one of admin, sender, reader, auditor.", pointer: "/roles")
        }
        let mode: Mode = body.mode == .test ? .test : .live
        let (key, secret) = try await keyAccess().store.mintAPIKey(organisation: organisation, mode: mode, name: body.name, roles: roles)
        return .created(.init(body: .json(.init(key: Wire.key(key), secret: secret))))
    }

    public func revokeAPIKey(_ input: Operations.RevokeAPIKey.Input) async throws -> Operations.RevokeAPIKey.Output {
        let (organisation, caller, _) = try RequestPrincipal.organisation(.admin)
        let access = try keyAccess()
        let key = try Wire.id(input.path.keyId, as: APIKeyID.self)
        guard key.rawValue != caller else {
            throw MissiveError(.conflict, "A key cannot revoke itself; revoke it with another admin key.")
        }
        try await access.store.revokeAPIKey(key, organisation: organisation, at: Date())
        access.revoked(key)
        return .noContent(.init())
    }

    public func rotateAPIKey(_ input: Operations.RotateAPIKey.Input) async throws -> Operations.RotateAPIKey.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        let access = try keyAccess()
        let (key, secret) = try await access.store.rotateAPIKey(try Wire.id(input.path.keyId, as: APIKeyID.self), organisation: organisation, until: Date().addingTimeInterval(access.rotationGrace))
        return .created(.init(body: .json(.init(key: Wire.key(key), secret: secret))))
    }

    private func keyAccess() throws -> KeyAccess {
        guard let access = hooks.keys else { throw MissiveError(.notFound, "Keys are managed by the operator on this server.") }
        return access
    }
}

extension Wire {
    static func key(_ key: APIKeyInfo) -> Components.Schemas.APIKey {
        .init(
            id: key.id.rawValue, name: key.name, mode: key.mode == .test ? .test : .live,
            roles: key.roles.names.compactMap { .init(rawValue: $0) }, createdAt: key.createdAt,
            lastUsedAt: key.lastUsedAt, expiresAt: key.expiresAt, revokedAt: key.revokedAt
        )
    }
}
