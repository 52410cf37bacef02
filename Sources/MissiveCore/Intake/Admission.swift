import Synchronization

/// Admission control: while the work behind acceptance - routing, dispatch, sealing - has
/// more than ``limit`` items due, new letters are refused with a retryable error (`503` +
/// `Retry-After`, a SOAP `Server` fault, SMTP `451 4.3.2`).
///
/// Accepting is cheaper than delivering: without a bound, a sustained load the hub can
/// accept but not deliver grows a backlog without end, and every letter waits longer than
/// the last. With it, a burst of up to ``limit`` items is taken at full speed, and beyond
/// that the hub accepts at the rate it delivers. Nothing accepted is affected: the bound
/// only decides whether the next letter is taken now or retried by its sender.
///
/// The backlog is sampled (``update(backlog:)``, a few times a second, from the store), not
/// counted per submission, so a check costs one atomic load.
public final class Admission: Sendable {
    /// Items due (jobs and evidence) above which new letters are refused; nil: no bound.
    public let limit: Int?
    /// Seconds a refused sender is told to wait.
    public let retryAfter: Int
    private let sampled = Atomic<Int>(0)
    private let refusals = Atomic<Int>(0)

    public init(limit: Int?, retryAfter: Int = 1) {
        self.limit = limit.flatMap { $0 > 0 ? $0 : nil }
        self.retryAfter = retryAfter
    }

    /// The latest sampled backlog.
    public var backlog: Int { sampled.load(ordering: .relaxed) }

    /// Letters refused since start (for `/metrics`).
    public var refused: Int { refusals.load(ordering: .relaxed) }

    /// Records the backlog just counted.
    public func update(backlog: Int) {
        sampled.store(backlog, ordering: .relaxed)
    }

    /// Whether a new letter would be refused now.
    public var isSaturated: Bool {
        guard let limit else { return false }
        return sampled.load(ordering: .relaxed) >= limit
    }

    /// Throws ``MissiveError/Code/busy`` while the backlog is at or above the limit.
    public func check() throws {
        guard isSaturated else { return }
        refusals.add(1, ordering: .relaxed)
        throw MissiveError(
            .busy, "Missive is working off a backlog of \(backlog) letters and evidence records; retry after \(retryAfter) s.",
            retryAfter: retryAfter
        )
    }
}
