import Foundation

/// What a logged-in person does for themselves (the web app's account page): change the
/// password, replace the recovery codes, log out everywhere. Each needs the live session
/// and, where a stolen session must not be enough, proof only the person has (the current
/// password, a fresh authenticator code). Failed proofs count toward the login throttle.
extension TwoStepLogin {
    /// The person behind a live session.
    public func user(forSessionToken token: String) async throws -> User {
        guard let session = try await liveSession(token) else {
            throw MissiveError(.unauthenticated, "The session has ended; log in again.")
        }
        return session.user
    }

    /// Replaces the password after checking the current one; every other session of the
    /// person ends (this one stays).
    public func changePassword(sessionToken token: String, current: String, new: String) async throws {
        guard let session = try await liveSession(token), let credentials = try await store.credentials(of: session.user.id),
              let stored = credentials.passwordHash
        else {
            throw MissiveError(.unauthenticated, "The session has ended; log in again.")
        }
        let attempt = try await claimAttempt(of: session.user.id)
        guard hasher.verify(current, against: stored) else {
            throw MissiveError(.verificationFailed, "The current password is wrong.", pointer: "/currentPassword")
        }
        try await store.refundLoginAttempt(of: session.user.id, previousFailureAt: attempt.previousFailureAt)
        guard current != new else {
            throw MissiveError(.invalidField, "The new password must differ from the current one.", pointer: "/newPassword")
        }
        let hash: String
        do {
            hash = try hasher.hash(new)
        } catch let error as MissiveError {
            throw MissiveError(error.code, error.reason, pointer: "/newPassword")
        }
        try await store.changePassword(of: session.user.id, passwordHash: hash, keeping: session.tokenHash, at: clock.now())
    }

    /// Ten new recovery codes, shown once, for a fresh authenticator `code`; the old ones die.
    public func replaceRecoveryCodes(sessionToken token: String, code: String) async throws -> [String] {
        guard let session = try await liveSession(token), let credentials = try await store.credentials(of: session.user.id),
              let sealed = credentials.totpSecretSealed
        else {
            throw MissiveError(.unauthenticated, "The session has ended; log in again.")
        }
        let attempt = try await claimAttempt(of: session.user.id)
        let totp = try UserAccounts.totp(sealed, user: session.user.id, sealer: sealer)
        let codes = RecoveryCodes.generate()
        guard let step = totp.verify(code: code, at: clock.now(), lastUsedStep: credentials.lastTOTPStep),
              try await store.replaceRecoveryCodes(of: session.user.id, hashes: codes.compactMap(RecoveryCodes.hash), totpStep: step)
        else {
            throw MissiveError(.verificationFailed, "The code is not the authenticator's current one, or was used already.", pointer: "/code")
        }
        try await store.refundLoginAttempt(of: session.user.id, previousFailureAt: attempt.previousFailureAt)
        return codes
    }

    /// Ends every session of the person behind `token`, this one included.
    public func endAllSessions(sessionToken token: String) async throws -> Int {
        let user = try await user(forSessionToken: token)
        return try await store.endSessions(of: user.id, at: clock.now())
    }
}
