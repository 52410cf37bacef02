import Foundation

/// What a channel did with an envelope.
public enum DeliveryOutcome: Sendable, Hashable {
    /// In the recipient's mailbox / accepted by the eBill network: records `delivered`.
    case delivered(detail: [String: String])
    /// Handed to a partner who reports later (print spool): records nothing yet.
    case handedOver(detail: [String: String])
    /// The channel refused it for good; routing falls back to the next channel.
    case refused(Reason)
}

/// A way to deliver. A thrown error means "try again later" (retried with back-off); a
/// final "no" is ``DeliveryOutcome/refused(_:)``.
public protocol DeliveryChannel: Sendable {
    func deliver(_ envelope: Envelope, entry: DirectoryEntry?) async throws -> DeliveryOutcome
}

/// The channels for one mode of traffic.
public struct ChannelSet: Sendable {
    public var ePost: any DeliveryChannel
    public var eBill: any DeliveryChannel
    public var physical: any DeliveryChannel

    public init(ePost: any DeliveryChannel, eBill: any DeliveryChannel, physical: any DeliveryChannel) {
        self.ePost = ePost
        self.eBill = eBill
        self.physical = physical
    }

    public subscript(channel: Channel) -> any DeliveryChannel {
        switch channel {
        case .ePost: ePost
        case .eBill: eBill
        case .physical: physical
        }
    }
}

/// When to try again: exponential back-off with jitter, capped, for a bounded number of
/// attempts.
public struct RetryPolicy: Sendable, Hashable {
    public var base: TimeInterval
    public var factor: Double
    public var cap: TimeInterval
    public var maxAttempts: Int

    public init(base: TimeInterval, factor: Double = 2, cap: TimeInterval, maxAttempts: Int) {
        self.base = base
        self.factor = factor
        self.cap = cap
        self.maxAttempts = maxAttempts
    }

    /// The delay before attempt `attempt + 1` (attempt counts from 1), or nil when exhausted.
    public func delay(afterAttempt attempt: Int) -> TimeInterval? {
        guard attempt < maxAttempts else { return nil }
        let raw = base * pow(factor, Double(max(0, attempt - 1)))
        return min(cap, raw * Double.random(in: 0.8...1.2))
    }

    /// Channels: 10 s doubling to 1 h, 12 attempts (about 3.4 hours of trying).
    public static let channels = RetryPolicy(base: 10, cap: 3600, maxAttempts: 12)
    /// Webhooks: 5 s doubling to 2 h, 15 attempts (about 8.8 hours of trying).
    public static let webhooks = RetryPolicy(base: 5, cap: 7200, maxAttempts: 15)
}
