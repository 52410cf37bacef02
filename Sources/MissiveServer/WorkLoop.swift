import Foundation
import MissiveCore
import Synchronization

/// Claims leased work from the store and performs it with bounded concurrency, waking early
/// when new work is signalled. Used for dispatch jobs and webhook deliveries.
struct WorkLoop<Item: Sendable>: Sendable {
    var concurrency: Int
    var idle: Duration
    var wake: WakeSignal
    var claim: @Sendable (Int) async throws -> [Item]
    var perform: @Sendable (Item) async -> Void
    /// When the next item falls due (on `clock`), to sleep no longer than needed.
    var nextDue: @Sendable () async throws -> Date?
    var clock: any WallClock

    func run() async {
        let running = InFlightCount()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let free = concurrency - running.value
                var claimed: [Item] = []
                if free > 0 {
                    claimed = (try? await claim(free)) ?? []
                }
                for item in claimed {
                    running.add(1)
                    group.addTask {
                        defer {
                            running.add(-1)
                            wake.signal()
                        }
                        await perform(item)
                    }
                }
                if claimed.isEmpty {
                    var timeout = idle
                    if let due = try? await nextDue() {
                        let seconds = max(0.01, due.timeIntervalSince(clock.now()))
                        timeout = min(idle, .milliseconds(Int64(seconds * 1000)))
                    }
                    await wake.wait(timeout: timeout)
                } else if claimed.count == free {
                    await wake.wait(timeout: .milliseconds(50))
                }
            }
        }
    }
}

/// How many items are being performed.
final class InFlightCount: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ delta: Int) { count.withLock { $0 += delta } }
}
