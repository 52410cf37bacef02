import Foundation
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore durability")
struct DurabilityTests {
    let org = OrganisationID.generate()
    let base = StoreFixture.base

    @Test("what was accepted and applied is there after reopening the database file")
    func survivesReopen() async throws {
        let folder = try StoreFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("missive.sqlite").path
        let submission = StoreFixture.submission(organisation: org, ingressReference: "key-1", requestHash: "h", response: Data("first".utf8), routeAt: base.addingTimeInterval(30))
        let routed = StoreFixture.event(.routed, submission.envelope, channel: .ePost, at: base.addingTimeInterval(1), reason: Reason(code: "digital", text: "Has a mailbox."))

        try await firstLife(path: path, submission: submission, routed: routed)

        let reopened = try StoreFixture.openStore(path: path)
        let record = try #require(try await reopened.record(submission.envelope.id, organisation: org))
        #expect(record.envelope.status == .routed)
        #expect(record.envelope.channel == .ePost)
        #expect(record.envelope.statusReason == Reason(code: "digital", text: "Has a mailbox."))
        #expect(try await reopened.events(of: submission.envelope.id, organisation: org) == [submission.acceptedEvent, routed])
        #expect(try await reopened.nextJobDue() == base.addingTimeInterval(30))
        let jobs = try await reopened.claimJobs(limit: 10, now: base.addingTimeInterval(60), leaseDuration: 30)
        #expect(jobs.map(\.kind) == [.route])

        try await withRunning(reopened) { store in
            let replay = try await store.accept(StoreFixture.submission(organisation: org, ingressReference: "key-1", requestHash: "h"))
            guard case .replayed(let envelope, let response) = replay else {
                Issue.record("expected a replay after reopening, got \(replay)")
                return
            }
            #expect(envelope.id == submission.envelope.id)
            #expect(response == Data("first".utf8))
        }
    }

    /// Opens the store, writes, and lets every reference to it go.
    private func firstLife(path: String, submission: Submission, routed: StatusEvent) async throws {
        let store = try StoreFixture.openStore(path: path)
        try await withRunning(store) { store in
            try await acceptNew(submission, in: store)
            try await store.apply(EnvelopeChange(envelopeID: submission.envelope.id, events: [routed]))
        }
    }
}
