import Foundation

/// When a login session ends: after ``idleTimeout`` without use, and in any case
/// ``absoluteLifetime`` after it began, however busy. Times are passed in.
public struct SessionPolicy: Sendable, Hashable {
    /// Seconds a session survives unused (default 30 minutes).
    public var idleTimeout: TimeInterval
    /// Seconds a session lives at most (default 12 hours).
    public var absoluteLifetime: TimeInterval

    public init(idleTimeout: TimeInterval = 30 * 60, absoluteLifetime: TimeInterval = 12 * 3600) {
        precondition(idleTimeout > 0 && absoluteLifetime > 0, "Session timeouts are positive.")
        self.idleTimeout = idleTimeout
        self.absoluteLifetime = absoluteLifetime
    }

    /// The first instant the session is no longer valid: the earlier of `lastSeenAt` (or
    /// `createdAt`, if later) plus the idle timeout and `createdAt` plus the lifetime.
    public func expiresAt(createdAt: Date, lastSeenAt: Date) -> Date {
        min(max(createdAt, lastSeenAt).addingTimeInterval(idleTimeout), createdAt.addingTimeInterval(absoluteLifetime))
    }

    /// Whether the session is over at `now`: at or after ``expiresAt(createdAt:lastSeenAt:)``.
    public func isExpired(createdAt: Date, lastSeenAt: Date, now: Date) -> Bool {
        now >= expiresAt(createdAt: createdAt, lastSeenAt: lastSeenAt)
    }
}
