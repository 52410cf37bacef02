import Foundation

/// The back-off after failed logins, as a pure policy: given how many attempts in a row
/// have failed and when the last one did, it says whether the next may be made now, when
/// it may, or that the account is locked until an administrator unlocks it. Times are
/// passed in, so it needs no clock.
///
/// With the defaults the first 3 failures cost nothing; after the n-th failure (n > 3) the
/// next attempt waits 2^(n−3) seconds (2, 4, 8, …), at most an hour; after 20 failures the
/// account is locked. The caller counts failures of either step (password, TOTP or
/// recovery code) and resets the count on a successful login or an unlock.
public struct LoginThrottle: Sendable, Hashable {
    /// What to do with the next attempt.
    public enum Decision: Sendable, Hashable {
        /// Try it.
        case allowed
        /// Refuse it without checking anything; tell the caller to retry after this many
        /// seconds (at least 1), at `until`.
        case retryAfter(seconds: Int, until: Date)
        /// Refuse it: the account stays locked until an administrator unlocks it.
        case locked
    }

    /// Failures in a row that cost no wait.
    public var freeFailures: Int
    /// The longest wait, in seconds.
    public var maximumDelay: TimeInterval
    /// Failures in a row that lock the account.
    public var lockAfter: Int

    public init(freeFailures: Int = 3, maximumDelay: TimeInterval = 3600, lockAfter: Int = 20) {
        precondition(freeFailures >= 0 && maximumDelay >= 1 && lockAfter > freeFailures, "A login throttle needs 0 ≤ free < lock and a delay of at least 1 s.")
        self.freeFailures = freeFailures
        self.maximumDelay = maximumDelay
        self.lockAfter = lockAfter
    }

    /// Seconds the attempt after `failures` failures in a row must wait, counted from the
    /// last failure: 0 up to ``freeFailures``, then doubling from 2 s, capped at
    /// ``maximumDelay``.
    public func delay(afterFailures failures: Int) -> TimeInterval {
        let excess = failures - freeFailures
        guard excess > 0 else { return 0 }
        return excess >= 62 ? maximumDelay : min(maximumDelay, TimeInterval(1 << excess))
    }

    /// Whether an attempt at `now` may go ahead after `failures` failures in a row, the
    /// last at `lastFailureAt`. A clock that went back since the last failure never makes
    /// the wait longer than the delay itself.
    public func decision(failures: Int, lastFailureAt: Date?, now: Date) -> Decision {
        guard failures < lockAfter else { return .locked }
        let delay = delay(afterFailures: failures)
        guard delay > 0, let lastFailureAt else { return .allowed }
        var until = lastFailureAt.addingTimeInterval(delay)
        if until.timeIntervalSince(now) > delay {
            until = now.addingTimeInterval(delay)
        }
        let remaining = until.timeIntervalSince(now)
        guard remaining > 0 else { return .allowed }
        return .retryAfter(seconds: max(1, Int(remaining.rounded(.up))), until: until)
    }
}
