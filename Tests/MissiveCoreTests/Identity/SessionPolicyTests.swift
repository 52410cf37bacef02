import Foundation
import MissiveCore
import Testing

extension IdentityTests {
    @Suite("SessionPolicy")
    struct SessionPolicyTests {
        let policy = SessionPolicy()
        /// When the session under test began.
        static let created = Date(timeIntervalSince1970: 1_700_000_000)

        @Test("defaults: 30 minutes idle, 12 hours in all")
        func defaults() {
            #expect(policy.idleTimeout == 1800)
            #expect(policy.absoluteLifetime == 43_200)
        }

        @Test("idle timeout: valid until 30 minutes after the last use, expired from then on")
        func idle() {
            let seen = Self.created.addingTimeInterval(600)
            #expect(!policy.isExpired(createdAt: Self.created, lastSeenAt: seen, now: seen))
            #expect(!policy.isExpired(createdAt: Self.created, lastSeenAt: seen, now: seen.addingTimeInterval(1799.999)))
            #expect(policy.isExpired(createdAt: Self.created, lastSeenAt: seen, now: seen.addingTimeInterval(1800)))
            #expect(policy.expiresAt(createdAt: Self.created, lastSeenAt: seen) == seen.addingTimeInterval(1800))
        }

        @Test("absolute lifetime: a busy session still ends 12 hours after login")
        func absolute() {
            let seen = Self.created.addingTimeInterval(43_200 - 60)
            #expect(policy.expiresAt(createdAt: Self.created, lastSeenAt: seen) == Self.created.addingTimeInterval(43_200))
            #expect(!policy.isExpired(createdAt: Self.created, lastSeenAt: seen, now: Self.created.addingTimeInterval(43_199)))
            #expect(policy.isExpired(createdAt: Self.created, lastSeenAt: seen, now: Self.created.addingTimeInterval(43_200)))
            #expect(policy.isExpired(createdAt: Self.created, lastSeenAt: Self.created.addingTimeInterval(50_000), now: Self.created.addingTimeInterval(50_000)))
        }

        @Test("odd inputs: last seen before creation counts from creation; now before creation is not expired")
        func oddTimes() {
            #expect(policy.expiresAt(createdAt: Self.created, lastSeenAt: Self.created.addingTimeInterval(-10_000)) == Self.created.addingTimeInterval(1800))
            #expect(!policy.isExpired(createdAt: Self.created, lastSeenAt: Self.created, now: Self.created.addingTimeInterval(-60)))
        }

        @Test("configurable timeouts")
        func configured() {
            let short = SessionPolicy(idleTimeout: 60, absoluteLifetime: 300)
            #expect(short.isExpired(createdAt: Self.created, lastSeenAt: Self.created, now: Self.created.addingTimeInterval(60)))
            #expect(!short.isExpired(createdAt: Self.created, lastSeenAt: Self.created.addingTimeInterval(250), now: Self.created.addingTimeInterval(299)))
            #expect(short.isExpired(createdAt: Self.created, lastSeenAt: Self.created.addingTimeInterval(250), now: Self.created.addingTimeInterval(300)))
            let longIdle = SessionPolicy(idleTimeout: 7200, absoluteLifetime: 3600)
            #expect(longIdle.expiresAt(createdAt: Self.created, lastSeenAt: Self.created) == Self.created.addingTimeInterval(3600))
        }
    }
}
