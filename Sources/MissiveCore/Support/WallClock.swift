import Foundation
import Synchronization

/// The source of "now" for everything that is recorded or scheduled (events, timers,
/// retries). Injected so the 7-day rules can be tested without waiting.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The machine's clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that runs with the machine's clock plus an offset that only grows; the sandbox
/// moves it forward to exercise timers, and tests use it as a manual clock.
public final class OffsetWallClock: WallClock {
    private let offset: Mutex<TimeInterval>
    private let base: @Sendable () -> Date

    public init(offset: TimeInterval = 0, base: @escaping @Sendable () -> Date = { Date() }) {
        self.offset = Mutex(offset)
        self.base = base
    }

    public func now() -> Date { base().addingTimeInterval(offset.withLock { $0 }) }

    /// The current offset in seconds.
    public var offsetSeconds: TimeInterval { offset.withLock { $0 } }

    /// Moves the clock forward; negative amounts are ignored (time never goes back).
    public func advance(by seconds: TimeInterval) {
        offset.withLock { $0 += max(0, seconds) }
    }
}
