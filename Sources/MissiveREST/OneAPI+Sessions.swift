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
        guard case .user = RequestPrincipal.current, let token = RequestPrincipal.sessionToken else {
            throw MissiveError(.forbidden, "Only a login session logs out; an API key is revoked instead (DELETE /v1/api-keys/{keyId}).")
        }
        _ = try await access.login.end(sessionToken: token)
        return .noContent(.init())
    }
}
