import Foundation
import MissiveCore
import Synchronization

/// Shares one transaction (one fsync) among all submissions that arrive while the previous
/// commit is in progress, so acceptance throughput is not capped by the disk's fsync rate.
/// Each submission is isolated in a savepoint: one failing never affects the others.
final class GroupCommitter: Sendable {
    typealias Waiter = CheckedContinuation<AcceptanceResult, any Error>
    private struct State {
        var pending: [(Submission, Waiter)] = []
        var idle: CheckedContinuation<Void, Never>?
        var stopped = false
    }

    private let state = Mutex(State())
    private let maxBatch: Int
    private let commit: @Sendable ([Submission]) async throws -> [Result<AcceptanceResult, any Error>]

    init(maxBatch: Int = 256, commit: @escaping @Sendable ([Submission]) async throws -> [Result<AcceptanceResult, any Error>]) {
        self.maxBatch = maxBatch
        self.commit = commit
    }

    /// Queues a submission and waits until its batch is committed.
    func submit(_ submission: Submission) async throws -> AcceptanceResult {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let (idle, stopped) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Bool) in
                if state.stopped { return (nil, true) }
                state.pending.append((submission, waiter))
                defer { state.idle = nil }
                return (state.idle, false)
            }
            if stopped {
                waiter.resume(throwing: MissiveError(.unavailable, "The store is shutting down."))
            }
            idle?.resume()
        }
    }

    /// Commits batches until cancelled; then fails whatever is still queued.
    func run() async {
        while !Task.isCancelled {
            let batch = await nextBatch()
            if batch.isEmpty { continue }
            do {
                let results = try await commit(batch.map(\.0))
                for ((_, waiter), result) in zip(batch, results) { waiter.resume(with: result) }
            } catch {
                let mapped = storeError(error)
                for (_, waiter) in batch { waiter.resume(throwing: mapped) }
            }
        }
        let rest = state.withLock { state in
            state.stopped = true
            defer { state.pending = [] }
            return state.pending
        }
        for (_, waiter) in rest { waiter.resume(throwing: MissiveError(.unavailable, "The store is shutting down.")) }
    }

    private func nextBatch() async -> [(Submission, Waiter)] {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (idle: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if !state.pending.isEmpty || state.stopped || Task.isCancelled { return true }
                    state.idle = idle
                    return false
                }
                if ready { idle.resume() }
            }
        } onCancel: {
            let idle = state.withLock { state in
                defer { state.idle = nil }
                return state.idle
            }
            idle?.resume()
        }
        return state.withLock { state in
            let count = min(maxBatch, state.pending.count)
            defer { state.pending.removeFirst(count) }
            return Array(state.pending.prefix(count))
        }
    }
}
