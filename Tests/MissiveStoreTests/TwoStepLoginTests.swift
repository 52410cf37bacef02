import Foundation
import MissiveCore
@testable import MissiveStore
import Testing

/// The login of people over the real store, with an injected clock and cheap scrypt.
@Suite("Two-step login")
struct TwoStepLoginTests {
    let hasher = PasswordHasher(parameters: .init(logN: 4))
    let password = "a long enough password"

    struct Person {
        var user: User
        var totp: TOTP
        var recoveryCodes: [String]
    }

    func enrol(_ store: SQLiteStore, _ clock: OffsetWallClock, roles: Roles = .sender) async throws -> (OrganisationID, Person) {
        let org = try await store.createOrganisation(name: "A", mode: .test).organisationID
        let accounts = UserAccounts(store: store, hasher: hasher, sealer: store.sealer, clock: clock)
        let invitation = try await accounts.invite(email: "p@example.ch", roles: roles, organisation: org)
        let enrolment = try await accounts.setUp(setupToken: invitation.setupToken, password: password)
        let totp = try TOTP(secret: try #require(Base32.decode(enrolment.totpSecret)))
        let user = try await accounts.confirm(setupToken: invitation.setupToken, code: totp.generate(at: clock.now()))
        #expect(user.status == .active)
        return (org, Person(user: user, totp: totp, recoveryCodes: enrolment.recoveryCodes))
    }

    /// A store with one active person (`p@example.ch`, sender), a clock at the fixture's base
    /// and the login over them.
    func withEnrolledPerson(_ body: (SQLiteStore, OffsetWallClock, OrganisationID, Person, TwoStepLogin) async throws -> Void) async throws {
        try await withStore { store in
            let clock = OffsetWallClock(base: { StoreFixture.base })
            let (org, person) = try await enrol(store, clock)
            try await body(store, clock, org, person, TwoStepLogin(store: store, hasher: hasher, sealer: store.sealer, clock: clock))
        }
    }

    /// Both steps with the authenticator's current code.
    func logIn(_ login: TwoStepLogin, _ org: OrganisationID, _ person: Person, at clock: OffsetWallClock) async throws -> TwoStepLogin.Session {
        let challenge = try await login.begin(organisation: org, email: "p@example.ch", password: password)
        return try await login.complete(challenge: challenge.token, code: person.totp.generate(at: clock.now()), recoveryCode: nil)
    }

    func code(_ error: any Error) -> MissiveError.Code? {
        (error as? MissiveError)?.code
    }

    @Test("password and TOTP give a session with the person's roles; a used code, a spent recovery code and an ended session do not work")
    func fullLogin() async throws {
        try await withEnrolledPerson { _, clock, org, person, login in
            clock.advance(by: 30)
            let challenge = try await login.begin(organisation: org, email: "P@example.ch", password: password)
            #expect(challenge.expiresAt == clock.now().addingTimeInterval(300))
            let code = person.totp.generate(at: clock.now())
            let session = try await login.complete(challenge: challenge.token, code: code, recoveryCode: nil)
            #expect(session.token.hasPrefix("mss_"))
            #expect(try await login.principal(forSessionToken: session.token) == .user(org, user: person.user.id, roles: .sender))
            // The same code on a new challenge is a replay.
            let again = try await login.begin(organisation: org, email: "p@example.ch", password: password)
            await #expect(throws: MissiveError.self) { _ = try await login.complete(challenge: again.token, code: code, recoveryCode: nil) }
            // A recovery code works once.
            _ = try await login.complete(challenge: again.token, code: nil, recoveryCode: person.recoveryCodes[0])
            let third = try await login.begin(organisation: org, email: "p@example.ch", password: password)
            await #expect(throws: MissiveError.self) { _ = try await login.complete(challenge: third.token, code: nil, recoveryCode: person.recoveryCodes[0]) }
            #expect(try await login.end(sessionToken: session.token))
            #expect(try await login.principal(forSessionToken: session.token) == nil)
            #expect(try await login.end(sessionToken: session.token) == false)
        }
    }

    @Test("sessions end 30 minutes unused and 12 hours after login")
    func sessionExpiry() async throws {
        try await withEnrolledPerson { _, clock, org, person, login in
            clock.advance(by: 30)
            let idle = try await logIn(login, org, person, at: clock)
            clock.advance(by: 30 * 60)
            #expect(try await login.principal(forSessionToken: idle.token) == nil)
            let busy = try await logIn(login, org, person, at: clock)
            for _ in 0..<47 {
                clock.advance(by: 15 * 60)
                #expect(try await login.principal(forSessionToken: busy.token) != nil)
            }
            clock.advance(by: 15 * 60)
            #expect(try await login.principal(forSessionToken: busy.token) == nil)
        }
    }

    @Test("attempts made in parallel cannot all pass the throttle: each is counted before its password is checked")
    func parallelAttempts() async throws {
        try await withEnrolledPerson { _, _, org, _, login in
            let outcomes = await withTaskGroup(of: MissiveError.Code?.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        do {
                            _ = try await login.begin(organisation: org, email: "p@example.ch", password: "a wrong password")
                            return nil
                        } catch {
                            return (error as? MissiveError)?.code
                        }
                    }
                }
                return await group.reduce(into: [MissiveError.Code?]()) { $0.append($1) }
            }
            // 3 free failures and a 4th counted; the rest wait (the clock stands still).
            #expect(outcomes.count(where: { $0 == .unauthenticated }) == 4)
            #expect(outcomes.count(where: { $0 == .rateLimited }) == 6)
        }
    }

    @Test("failures of either step lead to a wait and then a lock; an unlock lifts it; unknown people answer like a wrong password")
    func throttle() async throws {
        try await withEnrolledPerson { store, clock, org, person, login in
            var unknown: MissiveError?
            do { _ = try await login.begin(organisation: org, email: "nobody@example.ch", password: password) } catch { unknown = error as? MissiveError }
            var wrong: MissiveError?
            do { _ = try await login.begin(organisation: org, email: "p@example.ch", password: "not the password") } catch { wrong = error as? MissiveError }
            #expect(unknown?.code == .unauthenticated && unknown?.reason == wrong?.reason)
            for _ in 0..<3 {
                await #expect(throws: MissiveError.self) { _ = try await login.begin(organisation: org, email: "p@example.ch", password: "nope") }
            }
            do {
                _ = try await login.begin(organisation: org, email: "p@example.ch", password: password)
                Issue.record("a login during the back-off went through")
            } catch {
                #expect(code(error) == .rateLimited && (error as? MissiveError)?.retryAfter == 2)
            }
            clock.advance(by: 2)
            let challenge = try await login.begin(organisation: org, email: "p@example.ch", password: password)
            clock.advance(by: 4)
            // A wrong second step counts too (the fifth failure).
            await #expect(throws: MissiveError.self) { _ = try await login.complete(challenge: challenge.token, code: nil, recoveryCode: "aaaaa-aaaaa") }
            #expect(try await store.user(person.user.id, organisation: org)?.failedLogins == 5)
            for _ in 5..<20 {
                clock.advance(by: 3600)
                await #expect(throws: MissiveError.self) { _ = try await login.begin(organisation: org, email: "p@example.ch", password: "nope") }
            }
            #expect(login.isLocked(try #require(try await store.user(person.user.id, organisation: org))))
            clock.advance(by: 86_400)
            do {
                _ = try await login.begin(organisation: org, email: "p@example.ch", password: password)
                Issue.record("a locked account logged in")
            } catch {
                #expect(code(error) == .accountLocked)
            }
            let unlocked = try await store.unlockUser(person.user.id, organisation: org)
            #expect(!login.isLocked(unlocked))
            _ = try await login.begin(organisation: org, email: "p@example.ch", password: password)
        }
    }
}
