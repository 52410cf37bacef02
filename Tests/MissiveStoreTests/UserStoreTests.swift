import Foundation
import GRDB
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore users, login challenges and sessions")
struct UserStoreTests {
    let base = StoreFixture.base

    func user(_ organisation: OrganisationID, _ email: String, roles: Roles, status: UserStatus = .invited) -> User {
        User(id: .generate(at: base), organisationID: organisation, email: email, roles: roles, status: status, createdAt: base)
    }

    /// Adds a user and makes them active.
    func active(_ store: SQLiteStore, _ organisation: OrganisationID, _ email: String, roles: Roles) async throws -> User {
        var person = user(organisation, email, roles: roles)
        try await store.addUser(person, setupTokenHash: BearerSecret.hash(email), setupExpiresAt: base.addingTimeInterval(60))
        try await store.storeSetup(of: person.id, passwordHash: "phc", totpSecretSealed: Data([1]), recoveryCodeHashes: ["r1", "r2"])
        try await store.activate(person.id, totpStep: 100)
        person.status = .active
        return person
    }

    @Test("emails are unique per organisation ignoring case, and free again once removed; other organisations' users are not found")
    func emailsAndTenancy() async throws {
        try await withStore { store in
            let org = try await store.createOrganisation(name: "A", mode: .test).organisationID
            let other = try await store.createOrganisation(name: "B", mode: .test).organisationID
            let anna = user(org, "Anna@Example.ch", roles: .sender)
            try await store.addUser(anna, setupTokenHash: "t1", setupExpiresAt: base.addingTimeInterval(60))
            await #expect(throws: MissiveError.self) {
                try await store.addUser(user(org, "anna@example.CH", roles: .reader), setupTokenHash: "t2", setupExpiresAt: base)
            }
            try await store.addUser(user(other, "anna@example.ch", roles: .reader), setupTokenHash: "t3", setupExpiresAt: base)
            #expect(try await store.user(anna.id, organisation: other) == nil)
            await #expect(throws: MissiveError.self) { try await store.removeUser(anna.id, organisation: other, at: base) }
            await #expect(throws: MissiveError.self) { _ = try await store.changeRoles(of: anna.id, organisation: other, to: .admin) }
            await #expect(throws: MissiveError.self) { _ = try await store.unlockUser(anna.id, organisation: other) }
            #expect(try await store.users(of: org).map(\.id) == [anna.id])
            try await store.removeUser(anna.id, organisation: org, at: base)
            #expect(try await store.user(anna.id, organisation: org)?.status == .removed)
            try await store.addUser(user(org, "ANNA@example.ch", roles: .reader), setupTokenHash: "t4", setupExpiresAt: base)
            #expect(try await store.users(of: org).count == 2)
        }
    }

    @Test("setup tokens work until they expire and only while invited")
    func setupTokens() async throws {
        try await withStore { store in
            let org = try await store.createOrganisation(name: "A", mode: .test).organisationID
            let person = user(org, "p@example.ch", roles: .sender)
            try await store.addUser(person, setupTokenHash: "setup", setupExpiresAt: base.addingTimeInterval(60))
            #expect(try await store.credentials(forSetupTokenHash: "setup", now: base)?.user.id == person.id)
            #expect(try await store.credentials(forSetupTokenHash: "setup", now: base.addingTimeInterval(60)) == nil)
            try await store.storeSetup(of: person.id, passwordHash: "phc", totpSecretSealed: Data([7]), recoveryCodeHashes: ["a", "b"])
            let credentials = try #require(try await store.credentials(forSetupTokenHash: "setup", now: base))
            #expect(credentials.passwordHash == "phc" && credentials.totpSecretSealed == Data([7]) && credentials.recoveryCodeHashes == ["a", "b"])
            // Not active yet: no login by email.
            #expect(try await store.credentials(organisation: org, email: "p@example.ch") == nil)
            try await store.activate(person.id, totpStep: 42)
            #expect(try await store.credentials(forSetupTokenHash: "setup", now: base) == nil)  // spent
            let login = try #require(try await store.credentials(organisation: org, email: "P@EXAMPLE.CH"))
            #expect(login.user.status == .active && login.lastTOTPStep == 42)
            await #expect(throws: MissiveError.self) { try await store.activate(person.id, totpStep: 43) }
        }
    }

    @Test("an organisation with an active admin user always keeps one")
    func lastAdmin() async throws {
        try await withStore { store in
            let org = try await store.createOrganisation(name: "A", mode: .test).organisationID
            let invitedAdmin = user(org, "invited@example.ch", roles: .admin)
            try await store.addUser(invitedAdmin, setupTokenHash: "i", setupExpiresAt: base)
            let first = try await active(store, org, "first@example.ch", roles: [.admin, .sender])
            await #expect(throws: MissiveError.self) { try await store.removeUser(first.id, organisation: org, at: base) }
            await #expect(throws: MissiveError.self) { _ = try await store.changeRoles(of: first.id, organisation: org, to: .sender) }
            #expect(try await store.changeRoles(of: first.id, organisation: org, to: .admin).roles == .admin)
            try await store.removeUser(invitedAdmin.id, organisation: org, at: base)  // not active: no admin lost
            let second = try await active(store, org, "second@example.ch", roles: .admin)
            #expect(try await store.changeRoles(of: first.id, organisation: org, to: .sender).roles == .sender)
            await #expect(throws: MissiveError.self) { try await store.removeUser(second.id, organisation: org, at: base) }
            try await store.removeUser(first.id, organisation: org, at: base)
            try await store.removeUser(first.id, organisation: org, at: base)  // again: nothing changes
        }
    }

    @Test("a login completes once per challenge, TOTP step and recovery code; it clears the failures and starts a session")
    func completeLogin() async throws {
        try await withStore { store in
            let org = try await store.createOrganisation(name: "A", mode: .test).organisationID
            let person = try await active(store, org, "p@example.ch", roles: .reader)
            #expect(try await store.claimLoginAttempt(of: person.id, at: base, throttle: LoginThrottle()) == LoginAttempt(decision: .allowed, previousFailureAt: nil))
            #expect(try await store.claimLoginAttempt(of: person.id, at: base.addingTimeInterval(1), throttle: LoginThrottle()).previousFailureAt == base)
            #expect(try await store.user(person.id, organisation: org)?.failedLogins == 2)
            // A claimed attempt that succeeds is taken back, with the previous failure's time.
            try await store.refundLoginAttempt(of: person.id, previousFailureAt: base)
            #expect(try await store.user(person.id, organisation: org)?.lastFailedLoginAt == base)
            _ = try await store.claimLoginAttempt(of: person.id, at: base.addingTimeInterval(2), throttle: LoginThrottle())
            // Beyond the free failures, the store refuses the next attempt and counts nothing.
            let strict = LoginThrottle(freeFailures: 1, maximumDelay: 60, lockAfter: 5)
            #expect(try await store.claimLoginAttempt(of: person.id, at: base.addingTimeInterval(3), throttle: strict).decision == .retryAfter(seconds: 1, until: base.addingTimeInterval(4)))
            #expect(try await store.user(person.id, organisation: org)?.failedLogins == 2)
            try await store.addChallenge(hash: "c1", user: person.id, expiresAt: base.addingTimeInterval(300))
            #expect(try await store.challengeUser(hash: "c1", now: base) == person.id)
            #expect(try await store.challengeUser(hash: "c1", now: base.addingTimeInterval(300)) == nil)
            // A step not later than the last used one is a replay.
            #expect(try await store.completeLogin(challengeHash: "c1", user: person.id, proof: .totp(step: 100), sessionTokenHash: "s0", at: base) == false)
            #expect(try await store.completeLogin(challengeHash: "c1", user: person.id, proof: .totp(step: 101), sessionTokenHash: "s1", at: base) == true)
            #expect(try await store.completeLogin(challengeHash: "c1", user: person.id, proof: .totp(step: 102), sessionTokenHash: "s2", at: base) == false)  // challenge spent
            let after = try #require(try await store.user(person.id, organisation: org))
            #expect(after.failedLogins == 0 && after.lastFailedLoginAt == nil && after.lastLoginAt == base)
            // Recovery codes are spent.
            try await store.addChallenge(hash: "c2", user: person.id, expiresAt: base.addingTimeInterval(300))
            #expect(try await store.completeLogin(challengeHash: "c2", user: person.id, proof: .recoveryCode(hash: "r2"), sessionTokenHash: "s3", at: base) == true)
            try await store.addChallenge(hash: "c3", user: person.id, expiresAt: base.addingTimeInterval(300))
            #expect(try await store.completeLogin(challengeHash: "c3", user: person.id, proof: .recoveryCode(hash: "r2"), sessionTokenHash: "s4", at: base) == false)
            #expect(try await store.credentials(of: person.id)?.recoveryCodeHashes == ["r1"])
            // Another person's challenge does not log this one in.
            #expect(try await store.completeLogin(challengeHash: "c3", user: UserID.generate(), proof: .recoveryCode(hash: "r1"), sessionTokenHash: "s5", at: base) == false)

            let session = try #require(try await store.session(tokenHash: "s1"))
            #expect(session.user.id == person.id && session.createdAt == base && session.endedAt == nil)
            try await store.touchSession(tokenHash: "s1", at: base.addingTimeInterval(60))
            #expect(try await store.session(tokenHash: "s1")?.lastSeenAt == base.addingTimeInterval(60))
            try await store.endSession(tokenHash: "s1", at: base.addingTimeInterval(61))
            #expect(try await store.session(tokenHash: "s1")?.endedAt == base.addingTimeInterval(61))
            // Removal ends every session of the person.
            try await store.removeUser(person.id, organisation: org, at: base.addingTimeInterval(62))
            #expect(try await store.session(tokenHash: "s3")?.endedAt == base.addingTimeInterval(62))
            #expect(try await store.session(tokenHash: "s0") == nil)
        }
    }

    @Test("a reset forgets the credentials and ends every session; a password change keeps only the current session")
    func resetAndPasswordChange() async throws {
        try await withStore { store in
            let org = try await store.createOrganisation(name: "A", mode: .test).organisationID
            let other = try await store.createOrganisation(name: "B", mode: .test).organisationID
            let person = try await active(store, org, "p@example.ch", roles: .sender)
            for (index, token) in ["s1", "s2", "s3"].enumerated() {
                try await store.addChallenge(hash: "c\(index)", user: person.id, expiresAt: base.addingTimeInterval(300))
                #expect(try await store.completeLogin(challengeHash: "c\(index)", user: person.id, proof: .totp(step: 101 + index), sessionTokenHash: token, at: base))
            }
            try await store.changePassword(of: person.id, passwordHash: "phc2", keeping: "s2", at: base)
            #expect(try await store.credentials(of: person.id)?.passwordHash == "phc2")
            #expect(try await store.session(tokenHash: "s1")?.endedAt != nil)
            #expect(try await store.session(tokenHash: "s2")?.endedAt == nil)

            // New recovery codes need a TOTP step later than the last one used (103).
            #expect(try await store.replaceRecoveryCodes(of: person.id, hashes: ["n1"], totpStep: 103) == false)
            #expect(try await store.replaceRecoveryCodes(of: person.id, hashes: ["n1"], totpStep: 104))
            #expect(try await store.credentials(of: person.id)?.recoveryCodeHashes == ["n1"])

            await #expect(throws: MissiveError.self) {
                _ = try await store.resetUser(person.id, organisation: other, setupTokenHash: "again", setupExpiresAt: base.addingTimeInterval(60), at: base)
            }
            let reset = try await store.resetUser(person.id, organisation: org, setupTokenHash: "again", setupExpiresAt: base.addingTimeInterval(60), at: base)
            #expect(reset.status == .invited && reset.roles == .sender)
            let credentials = try #require(try await store.credentials(forSetupTokenHash: "again", now: base))
            #expect(credentials.passwordHash == nil && credentials.totpSecretSealed == nil && credentials.recoveryCodeHashes.isEmpty && credentials.lastTOTPStep == nil)
            #expect(try await store.session(tokenHash: "s2")?.endedAt != nil)
            await #expect(throws: MissiveError.self) { try await store.changePassword(of: person.id, passwordHash: "x", keeping: "s2", at: base) }

            try await store.removeUser(person.id, organisation: org, at: base)
            await #expect(throws: MissiveError.self) {
                _ = try await store.resetUser(person.id, organisation: org, setupTokenHash: "third", setupExpiresAt: base.addingTimeInterval(60), at: base)
            }
        }
    }

    @Test("only hashes of tokens and codes are stored, and the TOTP secret only sealed")
    func nothingInTheClear() async throws {
        try await withStore { store in
            let org = try await store.createOrganisation(name: "A", mode: .test).organisationID
            let clock = OffsetWallClock(base: { StoreFixture.base })
            let accounts = UserAccounts(store: store, hasher: PasswordHasher(parameters: .init(logN: 4)), sealer: store.sealer, clock: clock)
            let invitation = try await accounts.invite(email: "clear@example.ch", roles: .sender, organisation: org)
            let enrolment = try await accounts.setUp(setupToken: invitation.setupToken, password: "a long enough password")
            let dump = try await store.read { db in
                try String.fetchAll(db, sql: "SELECT quote(setup_token_hash) || quote(password_hash) || quote(totp_secret_sealed) || recovery_codes FROM users")
            }.joined()
            #expect(!dump.contains(invitation.setupToken) && !dump.contains("a long enough password"))
            #expect(!dump.contains(enrolment.totpSecret) && !dump.contains(Array(enrolment.totpSecret.utf8).hex.uppercased()))
            for code in enrolment.recoveryCodes {
                #expect(!dump.contains(code) && !dump.uppercased().contains(code.uppercased()))
            }
        }
    }
}
