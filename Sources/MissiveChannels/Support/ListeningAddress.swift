import Foundation
import MissiveCore
import Synchronization

/// The address a listener is bound to, once it is: callers may wait for it.
///
/// ```
/// starting ─► listening(url) ─► stopped
///     └──────────────────────────►┘
/// ```
public final class ListeningAddress: Sendable {
    private enum State {
        case starting(waiters: [Int: CheckedContinuation<URL, any Error>])
        case listening(URL)
        case stopped
    }

    private let state = Mutex(State.starting(waiters: [:]))
    private let nextWaiter = Atomic<Int>(0)

    public init() {}

    /// The URL, if listening now.
    public var current: URL? {
        state.withLock { state in
            switch state {
            case .listening(let url): url
            case .starting, .stopped: nil
            }
        }
    }

    /// Records that the listener is bound and wakes everyone waiting.
    public func listen(at url: URL) {
        let waiters = state.withLock { state -> [CheckedContinuation<URL, any Error>] in
            switch state {
            case .starting(let waiters):
                state = .listening(url)
                return Array(waiters.values)
            case .listening, .stopped:
                return []
            }
        }
        for waiter in waiters { waiter.resume(returning: url) }
    }

    /// Records that the listener stopped (or failed to start); waiters get an error.
    public func stop() {
        let waiters = state.withLock { state -> [CheckedContinuation<URL, any Error>] in
            defer { state = .stopped }
            switch state {
            case .starting(let waiters): return Array(waiters.values)
            case .listening, .stopped: return []
            }
        }
        for waiter in waiters { waiter.resume(throwing: Self.stoppedError) }
    }

    /// Waits until listening; throws if the listener stops first or the task is cancelled.
    public func wait() async throws -> URL {
        let id = nextWaiter.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<URL, any Error>) in
                let result = state.withLock { state -> Result<URL, any Error>? in
                    switch state {
                    case .starting(var waiters):
                        if Task.isCancelled { return .failure(CancellationError()) }
                        waiters[id] = continuation
                        state = .starting(waiters: waiters)
                        return nil
                    case .listening(let url):
                        return .success(url)
                    case .stopped:
                        return .failure(Self.stoppedError)
                    }
                }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<URL, any Error>? in
                switch state {
                case .starting(var waiters):
                    let waiter = waiters.removeValue(forKey: id)
                    state = .starting(waiters: waiters)
                    return waiter
                case .listening, .stopped:
                    return nil
                }
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private static var stoppedError: MissiveError {
        MissiveError(.unavailable, "The listener is not running.")
    }
}
