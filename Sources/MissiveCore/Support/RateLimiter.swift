import Foundation
import Synchronization

/// A token bucket per caller: `rate` requests per second, bursts up to `burst`. One limiter
/// is shared by every ingress, so an API key has one budget whether it calls REST or SOAP.
public final class RateLimiter: Sendable {
    private let buckets = Mutex<[String: (tokens: Double, at: ContinuousClock.Instant)]>([:])
    public let rate: Double
    public let burst: Double

    /// A limiter for `requestsPerSecond` with bursts of twice that; nil for 0 (unlimited).
    public static func perSecond(_ requestsPerSecond: Double) -> RateLimiter? {
        requestsPerSecond > 0 ? RateLimiter(rate: requestsPerSecond, burst: requestsPerSecond * 2) : nil
    }

    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(1, burst)
    }

    /// Takes a token; returns the seconds to wait when none is left.
    public func take(_ key: String) -> Double? {
        let now = ContinuousClock.now
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll() }
            var bucket = buckets[key] ?? (burst, now)
            let elapsed = Double((now - bucket.at).components.seconds) + Double((now - bucket.at).components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + elapsed * rate)
            bucket.at = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return (1 - bucket.tokens) / rate
        }
    }
}

extension Principal {
    /// The rate limit bucket: the API key (whichever ingress it comes through) or the mailbox key.
    public func rateLimitKey(secretHash: String) -> String {
        switch self {
        case .organisation(_, let key, _, _): key.rawValue
        case .mailbox: secretHash
        case .user(_, let user, _): user.rawValue
        }
    }
}
