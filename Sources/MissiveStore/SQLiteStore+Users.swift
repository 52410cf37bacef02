import Foundation
import GRDB
import MissiveCore

extension SQLiteStore: UserStore {
    public func users(of organisation: OrganisationID) async throws -> [User] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM users WHERE organisation_id = ? ORDER BY created_at, id"), arguments: [organisation.rawValue]).map(Self.user)
        }
    }

    public func user(_ id: UserID, organisation: OrganisationID) async throws -> User? {
        try await read { db in try Self.userRow(id, organisation: organisation, db).map(Self.user) }
    }

    public func addUser(_ user: User, setupTokenHash: String, setupExpiresAt: Date) async throws {
        try await write { db in
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM organisations WHERE id = ?"), arguments: [user.organisationID.rawValue]) != nil else {
                throw MissiveError(.notFound, "No such organisation.")
            }
            let taken = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM users WHERE organisation_id = ? AND email_key = ? AND status != 'removed'"), arguments: [user.organisationID.rawValue, User.emailKey(user.email)])
            guard taken == nil else {
                throw MissiveError(.conflict, "A user of the organisation already has this email.", pointer: "/email")
            }
            try db.cachedStatement(sql: """
                INSERT INTO users (id, organisation_id, email, email_key, roles, status, created_at, setup_token_hash, setup_expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [user.id.rawValue, user.organisationID.rawValue, user.email, User.emailKey(user.email), user.roles.rawValue,
                                 user.status.rawValue, user.createdAt.storage, setupTokenHash, setupExpiresAt.storage])
        }
    }

    public func changeRoles(of id: UserID, organisation: OrganisationID, to roles: Roles) async throws -> User {
        try await write { db in
            let user = try Self.existing(id, organisation: organisation, db)
            guard user.status != .removed else { throw MissiveError(.conflict, "The user was removed.") }
            if !roles.contains(.admin) {
                try Self.keepAnAdmin(besides: user, db)
            }
            try db.cachedStatement(sql: "UPDATE users SET roles = ? WHERE id = ?").execute(arguments: [roles.rawValue, id.rawValue])
            var changed = user
            changed.roles = roles
            return changed
        }
    }

    public func removeUser(_ id: UserID, organisation: OrganisationID, at date: Date) async throws {
        try await write { db in
            let user = try Self.existing(id, organisation: organisation, db)
            guard user.status != .removed else { return }
            try Self.keepAnAdmin(besides: user, db)
            try db.cachedStatement(sql: "UPDATE users SET status = 'removed', removed_at = ?, setup_token_hash = NULL WHERE id = ?").execute(arguments: [date.storage, id.rawValue])
            _ = try Self.endSessions(of: id, at: date, db)
        }
    }

    public func unlockUser(_ id: UserID, organisation: OrganisationID) async throws -> User {
        try await write { db in
            var user = try Self.existing(id, organisation: organisation, db)
            try db.cachedStatement(sql: "UPDATE users SET failed_logins = 0, last_failed_login_at = NULL WHERE id = ?").execute(arguments: [id.rawValue])
            user.failedLogins = 0
            user.lastFailedLoginAt = nil
            return user
        }
    }

    public func credentials(forSetupTokenHash hash: String, now: Date) async throws -> UserCredentials? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE setup_token_hash = ? AND setup_expires_at > ?"), arguments: [hash, now.storage]).map(Self.credentials)
        }
    }

    public func storeSetup(of id: UserID, passwordHash: String, totpSecretSealed: Data, recoveryCodeHashes: [String]) async throws {
        let codes = try JSONColumn.encode(recoveryCodeHashes)
        try await write { db in
            try db.execute(sql: "UPDATE users SET password_hash = ?, totp_secret_sealed = ?, recovery_codes = ?, last_totp_step = NULL WHERE id = ? AND status = 'invited'",
                           arguments: [passwordHash, totpSecretSealed, codes, id.rawValue])
        }
    }

    public func activate(_ id: UserID, totpStep: Int) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE users SET status = 'active', setup_token_hash = NULL, setup_expires_at = NULL, last_totp_step = ? WHERE id = ? AND status = 'invited'",
                           arguments: [totpStep, id.rawValue])
            guard db.changesCount == 1 else { throw MissiveError(.conflict, "The user is not waiting for setup.") }
        }
    }

    public func credentials(organisation: OrganisationID, email: String) async throws -> UserCredentials? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE organisation_id = ? AND email_key = ? AND status = 'active'"),
                             arguments: [organisation.rawValue, User.emailKey(email)]).map(Self.credentials)
        }
    }

    public func credentials(of id: UserID) async throws -> UserCredentials? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?"), arguments: [id.rawValue]).map(Self.credentials)
        }
    }

    public func claimLoginAttempt(of id: UserID, at date: Date, throttle: LoginThrottle) async throws -> LoginAttempt {
        try await write { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT failed_logins, last_failed_login_at FROM users WHERE id = ?"), arguments: [id.rawValue]) else {
                throw MissiveError(.notFound, "No such user.")
            }
            let previous = row.optionalDate("last_failed_login_at")
            let decision = throttle.decision(failures: row["failed_logins"], lastFailureAt: previous, now: date)
            if decision == .allowed {
                try db.cachedStatement(sql: "UPDATE users SET failed_logins = failed_logins + 1, last_failed_login_at = ? WHERE id = ?").execute(arguments: [date.storage, id.rawValue])
            }
            return LoginAttempt(decision: decision, previousFailureAt: previous)
        }
    }

    public func refundLoginAttempt(of id: UserID, previousFailureAt: Date?) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE users SET failed_logins = max(0, failed_logins - 1), last_failed_login_at = ? WHERE id = ?").execute(arguments: [previousFailureAt?.storage, id.rawValue])
        }
    }

    public func addChallenge(hash: String, user: UserID, expiresAt: Date) async throws {
        try await write { db in
            // Challenges live minutes; forget those long gone.
            try db.cachedStatement(sql: "DELETE FROM login_challenges WHERE expires_at < ?").execute(arguments: [Date().addingTimeInterval(-3600).storage])
            try db.cachedStatement(sql: "INSERT INTO login_challenges (hash, user_id, expires_at) VALUES (?, ?, ?)").execute(arguments: [hash, user.rawValue, expiresAt.storage])
        }
    }

    public func challengeUser(hash: String, now: Date) async throws -> UserID? {
        try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT user_id FROM login_challenges WHERE hash = ? AND expires_at > ?"), arguments: [hash, now.storage]).map(UserID.init(unchecked:))
        }
    }

    public func completeLogin(challengeHash: String, user id: UserID, proof: SecondFactorProof, sessionTokenHash: String, at date: Date) async throws -> Bool {
        try await write { db in
            guard try String.fetchOne(db.cachedStatement(sql: "SELECT user_id FROM login_challenges WHERE hash = ?"), arguments: [challengeHash]) == id.rawValue else { return false }
            switch proof {
            case .totp(let step):
                try db.cachedStatement(sql: "UPDATE users SET last_totp_step = ? WHERE id = ? AND (last_totp_step IS NULL OR last_totp_step < ?)").execute(arguments: [step, id.rawValue, step])
                guard db.changesCount == 1 else { return false }
            case .recoveryCode(let hash):
                let stored = try String.fetchOne(db.cachedStatement(sql: "SELECT recovery_codes FROM users WHERE id = ?"), arguments: [id.rawValue])
                var codes = try JSONColumn.decode([String].self, stored) ?? []
                guard let index = codes.firstIndex(of: hash) else { return false }
                codes.remove(at: index)
                try db.cachedStatement(sql: "UPDATE users SET recovery_codes = ? WHERE id = ?").execute(arguments: [try JSONColumn.encode(codes), id.rawValue])
            }
            try db.cachedStatement(sql: "DELETE FROM login_challenges WHERE hash = ?").execute(arguments: [challengeHash])
            try db.cachedStatement(sql: "UPDATE users SET failed_logins = 0, last_failed_login_at = NULL, last_login_at = ? WHERE id = ?").execute(arguments: [date.storage, id.rawValue])
            try db.execute(sql: "INSERT INTO user_sessions (token_hash, user_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)",
                           arguments: [sessionTokenHash, id.rawValue, date.storage, date.storage])
            return true
        }
    }

    public func session(tokenHash: String) async throws -> LoginSession? {
        try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM user_sessions WHERE token_hash = ?"), arguments: [tokenHash]),
                  let user = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?"), arguments: [row["user_id"] as String]).map(Self.user)
            else { return nil }
            return LoginSession(tokenHash: tokenHash, user: user, createdAt: row.date("created_at"), lastSeenAt: row.date("last_seen_at"), endedAt: row.optionalDate("ended_at"))
        }
    }

    public func touchSession(tokenHash: String, at date: Date) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE user_sessions SET last_seen_at = max(last_seen_at, ?) WHERE token_hash = ?").execute(arguments: [date.storage, tokenHash])
        }
    }

    public func endSession(tokenHash: String, at date: Date) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE user_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL").execute(arguments: [date.storage, tokenHash])
        }
    }

    public func resetUser(_ id: UserID, organisation: OrganisationID, setupTokenHash: String, setupExpiresAt: Date, at date: Date) async throws -> User {
        try await write { db in
            var user = try Self.existing(id, organisation: organisation, db)
            guard user.status != .removed else { throw MissiveError(.conflict, "The user was removed; invite them again.") }
            try db.cachedStatement(sql: """
                UPDATE users SET status = 'invited', setup_token_hash = ?, setup_expires_at = ?, password_hash = NULL,
                    totp_secret_sealed = NULL, last_totp_step = NULL, recovery_codes = '[]', failed_logins = 0, last_failed_login_at = NULL
                WHERE id = ?
                """).execute(arguments: [setupTokenHash, setupExpiresAt.storage, id.rawValue])
            _ = try Self.endSessions(of: id, at: date, db)
            user.status = .invited
            user.failedLogins = 0
            user.lastFailedLoginAt = nil
            return user
        }
    }

    public func changePassword(of id: UserID, passwordHash: String, keeping sessionTokenHash: String, at date: Date) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE users SET password_hash = ? WHERE id = ? AND status = 'active'").execute(arguments: [passwordHash, id.rawValue])
            guard db.changesCount == 1 else { throw MissiveError(.conflict, "The user is not active.") }
            _ = try Self.endSessions(of: id, at: date, keeping: sessionTokenHash, db)
        }
    }

    public func replaceRecoveryCodes(of id: UserID, hashes: [String], totpStep: Int) async throws -> Bool {
        let codes = try JSONColumn.encode(hashes)
        return try await write { db in
            try db.execute(sql: "UPDATE users SET recovery_codes = ?, last_totp_step = ? WHERE id = ? AND status = 'active' AND (last_totp_step IS NULL OR last_totp_step < ?)",
                           arguments: [codes, totpStep, id.rawValue, totpStep])
            return db.changesCount == 1
        }
    }

    public func endSessions(of id: UserID, at date: Date) async throws -> Int {
        try await write { db in try Self.endSessions(of: id, at: date, db) }
    }

    /// Ends the user's live sessions (all, or all but `keeping`) and open login challenges.
    static func endSessions(of id: UserID, at date: Date, keeping: String? = nil, _ db: Database) throws -> Int {
        try db.execute(sql: "UPDATE user_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL AND token_hash IS NOT ?",
                       arguments: [date.storage, id.rawValue, keeping])
        let ended = db.changesCount
        try db.cachedStatement(sql: "DELETE FROM login_challenges WHERE user_id = ?").execute(arguments: [id.rawValue])
        return ended
    }

    // MARK: - Rows

    /// Refuses a change that would take the organisation's last active admin user away.
    static func keepAnAdmin(besides user: User, _ db: Database) throws {
        guard user.status == .active, user.roles.contains(.admin) else { return }
        let others = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM users WHERE organisation_id = ? AND id != ? AND status = 'active' AND (roles & ?) != 0"),
                                      arguments: [user.organisationID.rawValue, user.id.rawValue, Roles.admin.rawValue]) ?? 0
        guard others > 0 else {
            throw MissiveError(.conflict, "This is the organisation's last active admin user; make another user admin first.")
        }
    }

    static func userRow(_ id: UserID, organisation: OrganisationID, _ db: Database) throws -> Row? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE id = ? AND organisation_id = ?"), arguments: [id.rawValue, organisation.rawValue])
    }

    static func existing(_ id: UserID, organisation: OrganisationID, _ db: Database) throws -> User {
        guard let row = try userRow(id, organisation: organisation, db) else { throw MissiveError(.notFound, "No such user.") }
        return user(row)
    }

    static func user(_ row: Row) -> User {
        User(
            id: UserID(unchecked: row["id"]), organisationID: OrganisationID(unchecked: row["organisation_id"]), email: row["email"],
            roles: Roles(rawValue: row["roles"]), status: UserStatus(rawValue: row["status"]) ?? .removed, createdAt: row.date("created_at"),
            lastLoginAt: row.optionalDate("last_login_at"), failedLogins: row["failed_logins"], lastFailedLoginAt: row.optionalDate("last_failed_login_at")
        )
    }

    static func credentials(_ row: Row) throws -> UserCredentials {
        UserCredentials(
            user: user(row), passwordHash: row["password_hash"], totpSecretSealed: row["totp_secret_sealed"], lastTOTPStep: row["last_totp_step"],
            recoveryCodeHashes: try JSONColumn.decode([String].self, row["recovery_codes"]) ?? []
        )
    }
}
