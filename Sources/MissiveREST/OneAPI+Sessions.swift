import Foundation
import MissiveCore
import OpenAPIRuntime

extension OneAPI {
    public func startLogin(_ input: Operations.StartLogin.Input) async throws -> Operations.StartLogin.Output {
        let access = try userAccess()
        try access.admitKeyless()
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        try Self.check(body.organisationId, max: 64, "organisationId")
        try Self.check(body.email, max: 254, "email")
        try Self.check(body.password, max: 1024, "password")
        let challenge = try await access.login.begin(organisation: OrganisationID(rawValue: body.organisationId), email: body.email, password: body.password)
        return .ok(.init(body: .json(.init(challenge: challenge.token, expiresAt: challenge.expiresAt))))
    }

    public func completeLogin(_ input: Operations.CompleteLogin.Input) async throws -> Operations.CompleteLogin.Output {
        let access = try userAccess()
        try access.admitKeyless()
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        try Self.check(body.challenge, max: 128, "challenge")
        switch (body.code, body.recoveryCode) {
        case (let code?, nil):
            try Self.checkTOTPCode(code)
        case (nil, let recoveryCode?):
            try Self.check(recoveryCode, max: 32, "recoveryCode")
        default:
            throw MissiveError(.invalidRequest, "Send exactly one of code and recoveryCode.", pointer: "/code")
        }
        let session = try await access.login.complete(challenge: body.challenge, code: body.code, recoveryCode: body.recoveryCode)
        return .created(.init(body: .json(.init(sessionToken: session.token, expiresAt: session.expiresAt, user: Wire.user(session.user, access)))))
    }

    public func endSession(_ input: Operations.EndSession.Input) async throws -> Operations.EndSession.Output {
        let access = try userAccess()
        _ = try await access.login.end(sessionToken: try Self.sessionToken())
        return .noContent(.init())
    }

    public func getCurrentUser(_ input: Operations.GetCurrentUser.Input) async throws -> Operations.GetCurrentUser.Output {
        let access = try userAccess()
        let user = try await access.login.user(forSessionToken: try Self.sessionToken())
        return .ok(.init(body: .json(Wire.user(user, access))))
    }

    public func changePassword(_ input: Operations.ChangePassword.Input) async throws -> Operations.ChangePassword.Output {
        let access = try userAccess()
        let token = try Self.sessionToken()
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        try Self.check(body.currentPassword, max: 256, "currentPassword")
        try Self.check(body.newPassword, max: 256, "newPassword")
        try await access.login.changePassword(sessionToken: token, current: body.currentPassword, new: body.newPassword)
        return .noContent(.init())
    }

    public func replaceRecoveryCodes(_ input: Operations.ReplaceRecoveryCodes.Input) async throws -> Operations.ReplaceRecoveryCodes.Output {
        let access = try userAccess()
        let token = try Self.sessionToken()
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        try Self.checkTOTPCode(body.code)
        let codes = try await access.login.replaceRecoveryCodes(sessionToken: token, code: body.code)
        return .ok(.init(body: .json(.init(recoveryCodes: codes))))
    }

    public func endAllSessions(_ input: Operations.EndAllSessions.Input) async throws -> Operations.EndAllSessions.Output {
        let access = try userAccess()
        _ = try await access.login.endAllSessions(sessionToken: try Self.sessionToken())
        return .noContent(.init())
    }

    /// The login session the request came with; API keys and mailbox keys are not people.
    static func sessionToken() throws -> String {
        guard case .user = RequestPrincipal.current, let token = RequestPrincipal.sessionToken else {
            if RequestPrincipal.current == nil { throw MissiveError(.unauthenticated, "Log in first (POST /v1/sessions).") }
            throw MissiveError(.forbidden, "Only a person's login session can do this; an API key is managed through /v1/api-keys.")
        }
        return token
    }
}
