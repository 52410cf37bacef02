import Foundation

/// A person's login in two steps (DESIGN §9): organisation, email and password give a
/// short-lived challenge; the challenge and a TOTP code (or a recovery code) give a session
/// token, a bearer credential with the person's roles, valid per the ``SessionPolicy``.
///
/// Failures of either step count toward the ``LoginThrottle`` of the person: a wait (`429`
/// with Retry-After) and, in the end, a lock an administrator lifts. An unknown email costs
/// the time of a password check all the same and answers exactly like a wrong password.
public struct TwoStepLogin: Sendable {
    /// The first step passed.
    public struct Challenge: Sendable {
        public var token: String
        public var expiresAt: Date
    }

    /// Both steps passed.
    public struct Session: Sendable {
        public var token: String
        public var expiresAt: Date
        public var user: User
    }

    /// What a challenge starts with.
    public static let challengePrefix = "msc_"

    let store: any UserStore
    let hasher: PasswordHasher
    let sealer: SecretSealer
    let clock: any WallClock
    public let throttle: LoginThrottle
    public let sessions: SessionPolicy
    /// How long a challenge works.
    public let challengeLifetime: TimeInterval
    /// Use of a session is recorded at most this often (seconds).
    let touchInterval: TimeInterval = 15

    public init(store: any UserStore, hasher: PasswordHasher = PasswordHasher(), sealer: SecretSealer, clock: any WallClock, throttle: LoginThrottle = LoginThrottle(), sessions: SessionPolicy = SessionPolicy(), challengeLifetime: TimeInterval = 300) {
        self.store = store
        self.hasher = hasher
        self.sealer = sealer
        self.clock = clock
        self.throttle = throttle
        self.sessions = sessions
        self.challengeLifetime = challengeLifetime
    }

    /// The first step. Unknown organisation or email, a person not active, and a wrong
    /// password are one and the same `unauthenticated`.
    public func begin(organisation: OrganisationID?, email: String, password: String) async throws -> Challenge {
        guard let organisation, let credentials = try await store.credentials(organisation: organisation, email: email),
              credentials.user.status == .active, let stored = credentials.passwordHash
        else {
            hasher.dummyVerify(password)
            throw Self.wrongCredentials
        }
        let user = credentials.user
        let attempt = try await claimAttempt(of: user.id)
        guard hasher.verify(password, against: stored) else {
            throw Self.wrongCredentials
        }
        // The first step alone does not clear the failures (the whole login does).
        try await store.refundLoginAttempt(of: user.id, previousFailureAt: attempt.previousFailureAt)
        let token = BearerSecret.mint(prefix: Self.challengePrefix)
        let expiresAt = clock.now().addingTimeInterval(challengeLifetime)
        try await store.addChallenge(hash: BearerSecret.hash(token), user: user.id, expiresAt: expiresAt)
        return Challenge(token: token, expiresAt: expiresAt)
    }

    /// The second step: a TOTP `code` or a `recoveryCode`. A code once used (or of an
    /// earlier step) and a spent recovery code are refused.
    public func complete(challenge: String, code: String?, recoveryCode: String?) async throws -> Session {
        let challengeHash = BearerSecret.hash(challenge)
        guard challenge.hasPrefix(Self.challengePrefix), challenge.utf8.count <= 128,
              let id = try await store.challengeUser(hash: challengeHash, now: clock.now()),
              let credentials = try await store.credentials(of: id), credentials.user.status == .active
        else {
            throw MissiveError(.unauthenticated, "The challenge is unknown, used or expired; start again with POST /v1/sessions.")
        }
        try Self.checkShape(code: code, recoveryCode: recoveryCode)
        _ = try await claimAttempt(of: id)
        let now = clock.now()
        // A success clears the failures, the one claimed for this attempt with them.
        let token = SessionToken.mint()
        guard let proof = try proof(code: code, recoveryCode: recoveryCode, credentials: credentials, at: now),
              try await store.completeLogin(challengeHash: challengeHash, user: id, proof: proof, sessionTokenHash: SessionToken.hash(token), at: now)
        else {
            throw MissiveError(.unauthenticated, "The code is wrong or was used already.")
        }
        var user = credentials.user
        user.lastLoginAt = now
        user.failedLogins = 0
        user.lastFailedLoginAt = nil
        return Session(token: token, expiresAt: sessions.expiresAt(createdAt: now, lastSeenAt: now), user: user)
    }

    /// The principal of a session token while the session lives and its user is active,
    /// with the user's roles as they are now; records its use.
    public func principal(forSessionToken token: String) async throws -> Principal? {
        guard let session = try await liveSession(token) else { return nil }
        let now = clock.now()
        if now.timeIntervalSince(session.lastSeenAt) >= touchInterval {
            try await store.touchSession(tokenHash: session.tokenHash, at: now)
        }
        return .user(session.user.organisationID, user: session.user.id, roles: session.user.roles)
    }

    /// Ends the session of `token` (logout); false when there is no live session.
    public func end(sessionToken token: String) async throws -> Bool {
        guard let session = try await liveSession(token) else { return false }
        try await store.endSession(tokenHash: session.tokenHash, at: clock.now())
        return true
    }

    /// Whether the person is locked out (failed logins beyond the throttle's limit).
    public func isLocked(_ user: User) -> Bool {
        user.failedLogins >= throttle.lockAfter
    }

    func liveSession(_ token: String) async throws -> LoginSession? {
        guard SessionToken.isWellFormed(token), let session = try await store.session(tokenHash: SessionToken.hash(token)),
              session.endedAt == nil, session.user.status == .active,
              !sessions.isExpired(createdAt: session.createdAt, lastSeenAt: session.lastSeenAt, now: clock.now())
        else { return nil }
        return session
    }

    /// Claims an attempt (counted as a failure until it succeeds), or refuses one the
    /// throttle does not allow now, without checking anything.
    func claimAttempt(of id: UserID) async throws -> LoginAttempt {
        let attempt = try await store.claimLoginAttempt(of: id, at: clock.now(), throttle: throttle)
        switch attempt.decision {
        case .allowed:
            return attempt
        case .retryAfter(let seconds, _):
            throw MissiveError(.rateLimited, "Too many failed logins; retry after \(seconds) s.", retryAfter: seconds)
        case .locked:
            throw MissiveError(.accountLocked, "Too many failed logins: the account is locked until an administrator unlocks it.")
        }
    }

    private func proof(code: String?, recoveryCode: String?, credentials: UserCredentials, at now: Date) throws -> SecondFactorProof? {
        switch (code, recoveryCode) {
        case (let code?, nil):
            guard let sealed = credentials.totpSecretSealed else { return nil }
            let totp = try UserAccounts.totp(sealed, user: credentials.user.id, sealer: sealer)
            return totp.verify(code: code, at: now, lastUsedStep: credentials.lastTOTPStep).map { .totp(step: $0) }
        case (nil, let recoveryCode?):
            guard let index = RecoveryCodes.match(recoveryCode, against: credentials.recoveryCodeHashes) else { return nil }
            return .recoveryCode(hash: credentials.recoveryCodeHashes[index])
        case (nil, nil), (.some, .some):
            return nil  // refused by checkShape before
        }
    }

    private static func checkShape(code: String?, recoveryCode: String?) throws {
        guard (code == nil) != (recoveryCode == nil) else {
            throw MissiveError(.invalidRequest, "Send either code or recoveryCode.", pointer: "/code")
        }
    }

    static let wrongCredentials = MissiveError(.unauthenticated, "The organisation, email or password is wrong.")
}
