import Foundation

/// Runs every job of the global concurrent executor on the thread that drains it: the
/// thread libFuzzer calls `LLVMFuzzerTestOneInput` on.
///
/// The harnesses are async, but nothing in them waits for I/O: each `await` only hands a job
/// to the global executor. On a shared 2-core machine, every such hand-off to a pool thread
/// and back costs a scheduler wake-up (milliseconds under load). Taking the jobs over with
/// the runtime's `swift_task_enqueueGlobal_hook` (as swift-concurrency-extras'
/// `withMainSerialExecutor` does) keeps one input on one thread, start to end.
final class InlineExecutor: SerialExecutor, @unchecked Sendable {
    static let shared = InlineExecutor()

    private let lock = NSLock()
    private var jobs: [UnownedJob] = []

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        lock.withLock { jobs.append(job) }
    }

    /// Runs queued jobs until `isDone` says so; false if the queue ran dry first (a job is
    /// waiting for something outside the process, which no harness should do).
    func drain(until isDone: () -> Bool) -> Bool {
        while !isDone() {
            guard let job = lock.withLock({ jobs.isEmpty ? nil : jobs.removeFirst() }) else { return false }
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
        return true
    }

    private typealias Original = @convention(thin) (UnownedJob) -> Void
    private typealias Hook = @convention(thin) (UnownedJob, Original) -> Void

    /// Routes the global executor's jobs to ``shared``; false if the runtime has no hook.
    static func install() -> Bool {
        guard let symbol = dlsym(dlopen(nil, 0), "swift_task_enqueueGlobal_hook") else { return false }
        let hook: Hook = { job, _ in InlineExecutor.shared.enqueue(ExecutorJob(job)) }
        symbol.assumingMemoryBound(to: Hook?.self).pointee = hook
        return true
    }
}
