import Synchronization

/// Bounds the deliveries one channel may have in flight, so that a channel whose peer hangs
/// (an eBill network that accepts connections and never answers) holds at most `limit` of
/// the dispatcher's workers, and letters for the other channels keep moving.
public final class ChannelGate: Sendable {
    /// Deliveries one channel may have in flight at once.
    public let limit: Int
    private let inFlight = Mutex<[Channel: Int]>([:])

    public init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a place for a delivery on `channel`; false when the channel has `limit` already.
    public func tryEnter(_ channel: Channel) -> Bool {
        inFlight.withLock { counts in
            guard counts[channel, default: 0] < limit else { return false }
            counts[channel, default: 0] += 1
            return true
        }
    }

    /// Gives the place back.
    public func leave(_ channel: Channel) {
        inFlight.withLock { counts in
            counts[channel, default: 1] -= 1
        }
    }

    /// Deliveries in flight on `channel`.
    public func count(_ channel: Channel) -> Int {
        inFlight.withLock { $0[channel, default: 0] }
    }
}
