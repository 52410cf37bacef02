import Foundation
import MissiveCore
@testable import MissiveStore
import Synchronization
import Testing

/// The committer on its own, with a recording commit in place of SQLite, so batch sizes
/// and failure isolation can be observed directly.
@Suite("GroupCommitter")
struct GroupCommitterTests {
    let org = OrganisationID.generate()

    /// A commit that takes `delay`, records each batch's size, and fails submissions whose
    /// request hash is "fail" (or the whole batch when one's hash is "boom").
    final class RecordingCommit: Sendable {
        let batches = Mutex<[Int]>([])
        let delay: Duration
        init(delay: Duration) { self.delay = delay }

        func commit(_ submissions: [Submission]) async throws -> [Result<AcceptanceResult, any Error>] {
            batches.withLock { $0.append(submissions.count) }
            try? await Task.sleep(for: delay)
            if submissions.contains(where: { $0.requestHash == "boom" }) {
                throw MissiveError(.unavailable, "disk full")
            }
            return submissions.map { submission in
                submission.requestHash == "fail" ? .failure(MissiveError(.idempotencyMismatch, "mismatch")) : .success(.accepted(submission.envelope))
            }
        }
    }

    func withCommitter(maxBatch: Int, delay: Duration, _ body: (GroupCommitter, RecordingCommit) async throws -> Void) async throws {
        let recorder = RecordingCommit(delay: delay)
        let committer = GroupCommitter(maxBatch: maxBatch) { try await recorder.commit($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await committer.run() }
            defer { group.cancelAll() }
            try await body(committer, recorder)
        }
    }

    @Test("concurrent submissions share batches of at most maxBatch, and each waiter gets its own result")
    func batching() async throws {
        try await withCommitter(maxBatch: 8, delay: .milliseconds(100)) { committer, recorder in
            let submissions = (0..<50).map { i in StoreFixture.submission(organisation: org, requestHash: i % 5 == 0 ? "fail" : "ok") }
            let results = await withTaskGroup(of: (Int, EnvelopeID?).self) { group in
                for (index, submission) in submissions.enumerated() {
                    group.addTask {
                        guard case .accepted(let envelope) = try? await committer.submit(submission) else { return (index, nil) }
                        return (index, envelope.id)
                    }
                }
                var results: [Int: EnvelopeID?] = [:]
                for await (index, id) in group { results[index] = id }
                return results
            }
            for (index, submission) in submissions.enumerated() {
                #expect(results[index] == (index % 5 == 0 ? nil : submission.envelope.id))
            }
            let batches = recorder.batches.withLock { $0 }
            #expect(batches.reduce(0, +) == 50)
            #expect(batches.allSatisfy { $0 <= 8 })
            #expect(batches.count < 50, "submissions arriving during a commit share the next one")
        }
    }

    @Test("a batch whose commit throws fails its waiters only; the committer carries on")
    func failingCommit() async throws {
        try await withCommitter(maxBatch: 8, delay: .zero) { committer, _ in
            await expectMissiveError(.unavailable) { _ = try await committer.submit(StoreFixture.submission(organisation: org, requestHash: "boom")) }
            let next = StoreFixture.submission(organisation: org)
            guard case .accepted(let envelope) = try await committer.submit(next) else {
                Issue.record("expected the next submission to be accepted")
                return
            }
            #expect(envelope.id == next.envelope.id)
        }
    }

    @Test("stopping answers the batch in progress and fails what is still queued")
    func stopping() async throws {
        let recorder = RecordingCommit(delay: .milliseconds(400))
        let committer = GroupCommitter(maxBatch: 8) { try await recorder.commit($0) }
        let runner = Task { await committer.run() }
        let first = StoreFixture.submission(organisation: org)
        async let inProgress = committer.submit(first)
        try await Task.sleep(for: .milliseconds(100))
        async let queued = committer.submit(StoreFixture.submission(organisation: org))
        try await Task.sleep(for: .milliseconds(100))
        runner.cancel()
        guard case .accepted(let envelope) = try await inProgress else {
            Issue.record("expected the batch in progress to be answered")
            return
        }
        #expect(envelope.id == first.envelope.id)
        do {
            _ = try await queued
            Issue.record("expected the queued submission to fail")
        } catch {
            #expect((error as? MissiveError)?.code == .unavailable)
        }
        await runner.value
        await expectMissiveError(.unavailable) { _ = try await committer.submit(StoreFixture.submission(organisation: org)) }
        #expect(recorder.batches.withLock { $0 } == [1])
    }
}
