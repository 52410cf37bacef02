import Foundation
import MissiveCore
import OpenAPIRuntime

extension OneAPI {
    public func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        let access = try userAccess()
        let users = try await access.store.users(of: organisation)
        return .ok(.init(body: .json(.init(items: users.map { Wire.user($0, access) }))))
    }

    public func inviteUser(_ input: Operations.InviteUser.Input) async throws -> Operations.InviteUser.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        let access = try userAccess()
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        let roles = try Wire.roles(body.roles)
        let invitation = try await access.accounts.invite(email: body.email, roles: roles, organisation: organisation)
        return .created(.init(body: .json(.init(user: Wire.user(invitation.user, access), setupToken: invitation.setupToken, setupExpiresAt: invitation.expiresAt))))
    }

    public func removeUser(_ input: Operations.RemoveUser.Input) async throws -> Operations.RemoveUser.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        let access = try userAccess()
        try await access.store.removeUser(try Wire.id(input.path.userId, as: UserID.self), organisation: organisation, at: postOffice.clock.now())
        return .noContent(.init())
    }

    public func changeUserRoles(_ input: Operations.ChangeUserRoles.Input) async throws -> Operations.ChangeUserRoles.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        let access = try userAccess()
        let id = try Wire.id(input.path.userId, as: UserID.self)
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        let user = try await access.store.changeRoles(of: id, organisation: organisation, to: try Wire.roles(body.roles))
        return .ok(.init(body: .json(Wire.user(user, access))))
    }

    public func unlockUser(_ input: Operations.UnlockUser.Input) async throws -> Operations.UnlockUser.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        let access = try userAccess()
        let user = try await access.store.unlockUser(try Wire.id(input.path.userId, as: UserID.self), organisation: organisation)
        return .ok(.init(body: .json(Wire.user(user, access))))
    }

    public func resetUser(_ input: Operations.ResetUser.Input) async throws -> Operations.ResetUser.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        let access = try userAccess()
        let invitation = try await access.accounts.reset(try Wire.id(input.path.userId, as: UserID.self), organisation: organisation)
        return .ok(.init(body: .json(.init(user: Wire.user(invitation.user, access), setupToken: invitation.setupToken, setupExpiresAt: invitation.expiresAt))))
    }

    public func setUpUser(_ input: Operations.SetUpUser.Input) async throws -> Operations.SetUpUser.Output {
        let access = try userAccess()
        try access.admitKeyless()
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        try Self.check(body.setupToken, max: 128, "setupToken")
        try Self.check(body.password, max: 256, "password")
        let enrolment = try await access.accounts.setUp(setupToken: body.setupToken, password: body.password)
        return .ok(.init(body: .json(.init(totpSecret: enrolment.totpSecret, otpauthUri: enrolment.provisioningURI, recoveryCodes: enrolment.recoveryCodes))))
    }

    public func confirmUserSetup(_ input: Operations.ConfirmUserSetup.Input) async throws -> Operations.ConfirmUserSetup.Output {
        let access = try userAccess()
        try access.admitKeyless()
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        try Self.check(body.setupToken, max: 128, "setupToken")
        try Self.checkTOTPCode(body.code)
        let user = try await access.accounts.confirm(setupToken: body.setupToken, code: body.code)
        return .ok(.init(body: .json(Wire.user(user, access))))
    }

    func userAccess() throws -> UserAccess {
        guard let access = hooks.users else { throw MissiveError(.notFound, "People and logins are not offered on this server.") }
        return access
    }

    /// A TOTP code as the spec has it: six digits.
    static func checkTOTPCode(_ code: String) throws {
        guard code.utf8.count == 6, code.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw MissiveError(.invalidRequest, "code must be the six digits the authenticator shows.", pointer: "/code")
        }
    }
}

extension Wire {
    static func user(_ user: User, _ access: OneAPI.UserAccess) -> Components.Schemas.User {
        .init(
            id: user.id.rawValue, email: user.email, roles: user.roles.names.compactMap { .init(rawValue: $0) },
            status: .init(rawValue: user.status.rawValue) ?? .removed, locked: access.login.isLocked(user),
            createdAt: user.createdAt, lastLoginAt: user.lastLoginAt
        )
    }

    /// Roles from the wire: at least one, none twice.
    static func roles(_ wire: [Components.Schemas.Role]) throws -> Roles {
        guard Set(wire).count == wire.count else {
            throw MissiveError(.invalidRequest, "roles must not repeat a role.", pointer: "/roles")
        }
        guard let roles = Roles(names: wire.map(\.rawValue)), !roles.isEmpty else {
            throw MissiveError(.invalidField, "roles must name at least one of admin, sender, reader, auditor.", pointer: "/roles")
        }
        return roles
    }
}
