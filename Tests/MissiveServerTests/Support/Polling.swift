import Foundation
import Synchronization

/// Polls `check` until it returns a value or `timeout` passes (then throws `message`).
func eventually<T>(
    timeout: Duration = .seconds(20), interval: Duration = .milliseconds(100), _ message: @autoclosure () -> String,
    _ check: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await check() { return value }
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out after \(timeout): \(message())") }
        try await Task.sleep(for: interval)
    }
}

/// Runs `operation`, or throws `message` if it does not finish within `timeout`. The
/// operation runs unstructured, so one that ignores cancellation cannot hang the caller.
func withDeadline<T: Sendable>(_ timeout: Duration, _ message: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = OnceResult<T>()
    let work = Task {
        do { outcome.finish(.success(try await operation())) } catch { outcome.finish(.failure(error)) }
    }
    let timer = Task {
        try? await Task.sleep(for: timeout)
        outcome.finish(.failure(TestFailure(message)))
    }
    defer {
        work.cancel()
        timer.cancel()
    }
    return try await outcome.value()
}

/// A result that is set once and awaited once.
private final class OnceResult<T: Sendable>: Sendable {
    private let state = Mutex<(Result<T, any Error>?, CheckedContinuation<T, any Error>?)>((nil, nil))

    func finish(_ result: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard state.0 == nil else { return nil }
            state.0 = result
            defer { state.1 = nil }
            return state.1
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<T, any Error>? in
                if let result = state.0 { return result }
                state.1 = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
