import Foundation

/// The people of sender organisations (DESIGN §9, issue 6): administrators invite them with
/// roles, change the roles and remove them; an invited person sets a password and an
/// authenticator (TOTP) with the one-time setup token, and confirms with a first code.
public struct UserAccounts: Sendable {
    /// What an invitation hands out: the user and their setup token (shown once).
    public struct Invitation: Sendable {
        public var user: User
        public var setupToken: String
        public var expiresAt: Date
    }

    /// What setting up hands out, once: the TOTP secret (base32 and as an `otpauth://` URI
    /// for a QR code) and the recovery codes.
    public struct Enrolment: Sendable {
        public var totpSecret: String
        public var provisioningURI: String
        public var recoveryCodes: [String]
    }

    /// What a setup token starts with.
    public static let setupTokenPrefix = "msu_"

    let store: any UserStore
    let hasher: PasswordHasher
    let sealer: SecretSealer
    let clock: any WallClock
    /// How long a setup token works.
    public let setupLifetime: TimeInterval
    /// The issuer shown in authenticator apps.
    let issuer: String

    public init(store: any UserStore, hasher: PasswordHasher = PasswordHasher(), sealer: SecretSealer, clock: any WallClock, setupLifetime: TimeInterval = 7 * 86_400, issuer: String = "Missive") {
        self.store = store
        self.hasher = hasher
        self.sealer = sealer
        self.clock = clock
        self.setupLifetime = setupLifetime
        self.issuer = issuer
    }

    /// Invites a person: a user with `roles`, status `invited`, and a setup token.
    public func invite(email: String, roles: Roles, organisation: OrganisationID) async throws -> Invitation {
        try User.validate(email: email)
        guard !roles.isEmpty else {
            throw MissiveError(.invalidField, "roles must name at least one of admin, sender, reader, auditor.", pointer: "/roles")
        }
        let now = clock.now()
        let user = User(id: .generate(at: now), organisationID: organisation, email: email, roles: roles, status: .invited, createdAt: now)
        let token = BearerSecret.mint(prefix: Self.setupTokenPrefix)
        let expiresAt = now.addingTimeInterval(setupLifetime)
        try await store.addUser(user, setupTokenHash: BearerSecret.hash(token), setupExpiresAt: expiresAt)
        return Invitation(user: user, setupToken: token, expiresAt: expiresAt)
    }

    /// Starts a person over (a lost phone, a forgotten password): a new setup token, valid
    /// like an invitation's; password, authenticator and recovery codes are forgotten and
    /// every session ends. The person keeps their id, email and roles.
    public func reset(_ id: UserID, organisation: OrganisationID) async throws -> Invitation {
        let token = BearerSecret.mint(prefix: Self.setupTokenPrefix)
        let now = clock.now()
        let expiresAt = now.addingTimeInterval(setupLifetime)
        let user = try await store.resetUser(id, organisation: organisation, setupTokenHash: BearerSecret.hash(token), setupExpiresAt: expiresAt, at: now)
        return Invitation(user: user, setupToken: token, expiresAt: expiresAt)
    }

    /// Sets the password and creates the TOTP secret and recovery codes of an invited
    /// person. Repeating it before confirming replaces all three.
    public func setUp(setupToken: String, password: String) async throws -> Enrolment {
        let credentials = try await invited(setupToken)
        let passwordHash = try hasher.hash(password)
        let secret = TOTP.generateSecret()
        let totp = try TOTP(secret: secret)
        let user = credentials.user
        let sealed = try sealer.seal(Base32.encode(secret), context: UserCredentials.totpContext(user.id))
        let codes = RecoveryCodes.generate()
        try await store.storeSetup(of: user.id, passwordHash: passwordHash, totpSecretSealed: sealed, recoveryCodeHashes: codes.compactMap(RecoveryCodes.hash))
        return Enrolment(totpSecret: Base32.encode(secret), provisioningURI: totp.provisioningURI(issuer: issuer, account: user.email), recoveryCodes: codes)
    }

    /// Activates an invited person whose authenticator shows `code`: the setup token is
    /// spent. A wrong code is `verificationFailed`.
    public func confirm(setupToken: String, code: String) async throws -> User {
        let credentials = try await invited(setupToken)
        guard let sealed = credentials.totpSecretSealed, credentials.passwordHash != nil else {
            throw MissiveError(.conflict, "Set a password first (POST /v1/user-setup).")
        }
        let totp = try Self.totp(sealed, user: credentials.user.id, sealer: sealer)
        guard let step = totp.verify(code: code, at: clock.now(), lastUsedStep: credentials.lastTOTPStep) else {
            throw MissiveError(.verificationFailed, "The code is not the authenticator's current one; check the device's clock and try the next code.", pointer: "/code")
        }
        try await store.activate(credentials.user.id, totpStep: step)
        var user = credentials.user
        user.status = .active
        return user
    }

    /// The TOTP of a user from its sealed secret.
    static func totp(_ sealed: Data, user: UserID, sealer: SecretSealer) throws -> TOTP {
        guard let text = sealer.open(sealed, context: UserCredentials.totpContext(user)), let secret = Base32.decode(text) else {
            throw MissiveError(.unavailable, "A user's authenticator secret does not open with this server's secrets key.")
        }
        return try TOTP(secret: secret)
    }

    private func invited(_ token: String) async throws -> UserCredentials {
        guard token.hasPrefix(Self.setupTokenPrefix), token.utf8.count <= 128,
              let credentials = try await store.credentials(forSetupTokenHash: BearerSecret.hash(token), now: clock.now()),
              credentials.user.status == .invited
        else {
            throw MissiveError(.unauthenticated, "The setup token is unknown, used or expired; ask an administrator for a new invitation.")
        }
        return credentials
    }
}
