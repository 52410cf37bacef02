import Foundation

/// Storage of an organisation's people, their credentials, login challenges and sessions.
/// Every call that takes an organisation is scoped by it: another organisation's user is
/// `notFound`. Secrets arrive hashed (tokens, recovery codes, password) or sealed (TOTP).
public protocol UserStore: Sendable {
    /// The organisation's users, removed ones too, oldest first.
    func users(of organisation: OrganisationID) async throws -> [User]
    /// One user of the organisation, or nil.
    func user(_ id: UserID, organisation: OrganisationID) async throws -> User?
    /// Adds an invited user with the hash of their setup token; `conflict` when a user of
    /// the organisation that is not removed has the same email (ignoring case).
    func addUser(_ user: User, setupTokenHash: String, setupExpiresAt: Date) async throws
    /// Replaces a user's roles; `conflict` when that would leave an organisation that has
    /// an active admin user with none.
    func changeRoles(of id: UserID, organisation: OrganisationID, to roles: Roles) async throws -> User
    /// Removes a user and ends their sessions; `conflict` when they are the last active
    /// admin user. Removing a removed user changes nothing.
    func removeUser(_ id: UserID, organisation: OrganisationID, at date: Date) async throws
    /// Forgets a user's failed logins, which lifts a lock.
    func unlockUser(_ id: UserID, organisation: OrganisationID) async throws -> User

    /// The invited user a setup token belongs to, while it has not expired at `now`.
    func credentials(forSetupTokenHash hash: String, now: Date) async throws -> UserCredentials?
    /// Records what the person chose at setup (a repeated setup replaces it).
    func storeSetup(of id: UserID, passwordHash: String, totpSecretSealed: Data, recoveryCodeHashes: [String]) async throws
    /// Makes an invited user active, spends the setup token and records the TOTP step used.
    func activate(_ id: UserID, totpStep: Int) async throws

    /// The active user of the organisation with this email (ignoring case), with credentials.
    func credentials(organisation: OrganisationID, email: String) async throws -> UserCredentials?
    /// A user's credentials by id.
    func credentials(of id: UserID) async throws -> UserCredentials?
    /// Takes one login attempt of a person, atomically: when `throttle` allows it after the
    /// failures so far, it is counted as a failure at `date` at once (so that attempts made
    /// in parallel cannot all pass the throttle), to be refunded if it succeeds. Returns the
    /// decision and the time of the failure before it.
    func claimLoginAttempt(of id: UserID, at date: Date, throttle: LoginThrottle) async throws -> LoginAttempt
    /// Takes back a claimed attempt that succeeded, restoring the previous failure's time.
    func refundLoginAttempt(of id: UserID, previousFailureAt: Date?) async throws

    /// Stores a login challenge (the first step passed) by its hash.
    func addChallenge(hash: String, user: UserID, expiresAt: Date) async throws
    /// The user a challenge belongs to, while it has not expired at `now`.
    func challengeUser(hash: String, now: Date) async throws -> UserID?
    /// Completes a login atomically: checks and records the proof (a TOTP step later than
    /// the last one; an unspent recovery code, now spent), spends the challenge, clears the
    /// failed logins, sets the last login and stores the session. False, with nothing
    /// changed, when the proof was used meanwhile or the challenge is gone.
    func completeLogin(challengeHash: String, user: UserID, proof: SecondFactorProof, sessionTokenHash: String, at date: Date) async throws -> Bool

    /// A session by the hash of its token, with its user as they are now.
    func session(tokenHash: String) async throws -> LoginSession?
    /// Records use of a session (for the idle timeout).
    func touchSession(tokenHash: String, at date: Date) async throws
    /// Ends a session (logout).
    func endSession(tokenHash: String, at date: Date) async throws

    /// Puts a user back to `invited` with a new setup token: password, authenticator and
    /// recovery codes are forgotten, failed logins cleared, every session and challenge
    /// ended. `conflict` for a removed user.
    func resetUser(_ id: UserID, organisation: OrganisationID, setupTokenHash: String, setupExpiresAt: Date, at date: Date) async throws -> User
    /// Replaces an active user's password hash and ends their sessions except `keeping`.
    func changePassword(of id: UserID, passwordHash: String, keeping sessionTokenHash: String, at date: Date) async throws
    /// Replaces an active user's recovery codes, recording the TOTP step that authorised it;
    /// false, with nothing changed, when that step (or a later one) was used already.
    func replaceRecoveryCodes(of id: UserID, hashes: [String], totpStep: Int) async throws -> Bool
    /// Ends every live session of a user; returns how many.
    func endSessions(of id: UserID, at date: Date) async throws -> Int
}
