import Foundation
import GRDB
import MissiveCore
import Synchronization

/// Shares one write transaction (one fsync) among the store's writes that arrive while the
/// previous one commits — the dispatcher's many small changes, above all. Each write runs
/// in its own savepoint, so one failing never affects the others, and returns only once the
/// shared transaction is durable. No service loop: the first writer to find the store idle
/// leads, committing batches until none is waiting.
final class WriteBatcher: Sendable {
    /// One queued write: runs inside the batch's transaction and keeps its own outcome.
    private struct Item: Sendable {
        var run: @Sendable (Database) -> Void
        var done: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var pending: [Item] = []
        var leading = false
    }

    private let state = Mutex(State())
    private let pool: DatabasePool
    private let maxBatch: Int

    init(pool: DatabasePool, maxBatch: Int = 128) {
        self.pool = pool
        self.maxBatch = maxBatch
    }

    /// Runs `body` in a savepoint of the next shared transaction; returns its value once that
    /// transaction is committed, or its error (the savepoint rolled back).
    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        let outcome = Mutex<Result<T, any Error>?>(nil)
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            let item = Item(run: { db in
                let result: Result<T, any Error>
                do {
                    var value: T?
                    try db.inSavepoint {
                        value = try body(db)
                        return .commit
                    }
                    result = .success(value!)
                } catch {
                    result = .failure(error)
                }
                outcome.withLock { $0 = result }
            }, done: done)
            let lead = state.withLock { state -> Bool in
                state.pending.append(item)
                if state.leading { return false }
                state.leading = true
                return true
            }
            if lead {
                Task { await self.commitWhileWaiting() }
            }
        }
        guard let result = outcome.withLock({ $0 }) else {
            throw MissiveError(.unavailable, "The write was not run.")
        }
        return try result.get()
    }

    /// Commits batches until no write is waiting, then gives up the lead.
    private func commitWhileWaiting() async {
        while true {
            let batch = state.withLock { state -> [Item] in
                guard !state.pending.isEmpty else {
                    state.leading = false
                    return []
                }
                let count = min(maxBatch, state.pending.count)
                defer { state.pending.removeFirst(count) }
                return Array(state.pending.prefix(count))
            }
            if batch.isEmpty { return }
            do {
                try await pool.write { db in
                    for item in batch { item.run(db) }
                }
                for item in batch { item.done.resume() }
            } catch {
                // The shared transaction did not commit: none of the batch is durable.
                for item in batch { item.done.resume(throwing: error) }
            }
        }
    }
}
