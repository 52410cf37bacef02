import Foundation

/// Where a person's account stands.
public enum UserStatus: String, Sendable, Hashable, Codable {
    /// Invited by an administrator; the person has not finished setting up password and
    /// authenticator yet (the setup token works until it expires).
    case invited
    /// Set up: the person may log in.
    case active
    /// Removed by an administrator: no login, no session. The email may be invited again.
    case removed
}

/// A person of a sender organisation, as its administrators see them. Credentials live in
/// ``UserCredentials``; this value carries no secret.
public struct User: Sendable, Hashable {
    public var id: UserID
    public var organisationID: OrganisationID
    /// As typed at the invitation; compared without regard to case.
    public var email: String
    public var roles: Roles
    public var status: UserStatus
    public var createdAt: Date
    public var lastLoginAt: Date?
    /// Failed login steps in a row (password, TOTP or recovery code); the ``LoginThrottle``
    /// turns it into a wait or a lock.
    public var failedLogins: Int
    public var lastFailedLoginAt: Date?

    public init(id: UserID, organisationID: OrganisationID, email: String, roles: Roles, status: UserStatus, createdAt: Date, lastLoginAt: Date? = nil, failedLogins: Int = 0, lastFailedLoginAt: Date? = nil) {
        self.id = id
        self.organisationID = organisationID
        self.email = email
        self.roles = roles
        self.status = status
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
        self.failedLogins = failedLogins
        self.lastFailedLoginAt = lastFailedLoginAt
    }

    /// The form emails are compared in: lowercased, so `Anna@Example.ch` and
    /// `anna@example.ch` are one person of an organisation.
    public static func emailKey(_ email: String) -> String {
        email.lowercased()
    }

    /// Refuses what is not an email address in the loosest useful sense: 3 to 254
    /// characters, one `@` with something on both sides, and no spaces or control characters
    /// (the same rule the OpenAPI pattern states).
    public static func validate(email: String) throws {
        let scalars = email.unicodeScalars
        let forbidden = scalars.contains { $0.value <= 0x20 || (0x7F...0x9F).contains($0.value) }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard scalars.count <= 254, !forbidden, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw MissiveError(.invalidRequest, "email must be an address like name@example.ch (at most 254 characters, no spaces).", pointer: "/email")
        }
    }
}

/// What a person proves their identity with. Only hashes and a sealed TOTP secret are
/// stored; the password and the recovery codes themselves never are.
public struct UserCredentials: Sendable {
    public var user: User
    /// The scrypt PHC string (``PasswordHasher``), once set up.
    public var passwordHash: String?
    /// The TOTP secret, sealed with the operator's secrets key (``SecretSealer``) under the
    /// context ``UserCredentials/totpContext(_:)``.
    public var totpSecretSealed: Data?
    /// The last TOTP time step a code was accepted for; later codes must be of a later step.
    public var lastTOTPStep: Int?
    /// SHA-256 of the recovery codes not used yet.
    public var recoveryCodeHashes: [String]

    public init(user: User, passwordHash: String?, totpSecretSealed: Data?, lastTOTPStep: Int?, recoveryCodeHashes: [String]) {
        self.user = user
        self.passwordHash = passwordHash
        self.totpSecretSealed = totpSecretSealed
        self.lastTOTPStep = lastTOTPStep
        self.recoveryCodeHashes = recoveryCodeHashes
    }

    /// The sealing context of a user's TOTP secret: a sealed secret copied onto another
    /// user's row does not open.
    public static func totpContext(_ user: UserID) -> String {
        "totp:\(user.rawValue)"
    }
}

/// A person's login session as stored: the token only as its hash.
public struct LoginSession: Sendable, Hashable {
    public var tokenHash: String
    public var user: User
    public var createdAt: Date
    public var lastSeenAt: Date
    public var endedAt: Date?

    public init(tokenHash: String, user: User, createdAt: Date, lastSeenAt: Date, endedAt: Date?) {
        self.tokenHash = tokenHash
        self.user = user
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.endedAt = endedAt
    }
}

/// A claimed login attempt (``UserStore/claimLoginAttempt(of:at:throttle:)``).
public struct LoginAttempt: Sendable, Hashable {
    /// Whether the attempt may go ahead; if so, it was counted as a failure already.
    public var decision: LoginThrottle.Decision
    /// The last failure before this attempt, to restore when the attempt succeeds.
    public var previousFailureAt: Date?

    public init(decision: LoginThrottle.Decision, previousFailureAt: Date?) {
        self.decision = decision
        self.previousFailureAt = previousFailureAt
    }
}

/// How the second login step was passed, for the store to record atomically: a TOTP step
/// (which must be later than the last one used) or a recovery code (which must still be
/// unused, and is spent).
public enum SecondFactorProof: Sendable, Hashable {
    case totp(step: Int)
    case recoveryCode(hash: String)
}
