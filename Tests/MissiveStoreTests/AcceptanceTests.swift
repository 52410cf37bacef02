import Foundation
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore accept")
struct AcceptanceTests {
    let org = OrganisationID.generate()
    let base = StoreFixture.base

    @Test("a new submission is accepted with its event and a route job due at routeAt")
    func acceptsNewSubmission() async throws {
        try await withStore { store in
            let submission = StoreFixture.submission(organisation: org, ingressReference: "key-1", routeAt: base.addingTimeInterval(60))
            let result = try await store.accept(submission)
            guard case .accepted(let envelope) = result else {
                Issue.record("expected .accepted, got \(result)")
                return
            }
            #expect(envelope == submission.envelope)

            let record = try #require(try await store.record(envelope.id, organisation: org))
            #expect(record.envelope == submission.envelope)
            #expect(record.envelope.status == .accepted)
            #expect(record.lifecycle == EnvelopeLifecycle(status: .accepted))
            #expect(record.dispatchedAt == nil)
            #expect(record.failedChannels.isEmpty)
            #expect(record.directoryEntryID == nil)

            #expect(try await store.events(of: envelope.id, organisation: org) == [submission.acceptedEvent])

            #expect(try await store.claimJobs(limit: 10, now: base.addingTimeInterval(59), leaseDuration: 30).isEmpty)
            let jobs = try await store.claimJobs(limit: 10, now: base.addingTimeInterval(60), leaseDuration: 30)
            #expect(jobs.count == 1)
            let job = try #require(jobs.first)
            #expect(job.kind == .route)
            #expect(job.envelopeID == envelope.id)
            #expect(job.runAt == base.addingTimeInterval(60))
            #expect(job.attempts == 0)
            #expect(try await store.pendingJobCount() == 1)
        }
    }

    @Test("the invoice details and every nested field survive storage")
    func nestedFieldsRoundTrip() async throws {
        try await withStore { store in
            var envelope = StoreFixture.envelope(organisation: org, kind: .invoice, recipient: Recipient(ePostAddress: "anna@epost.example", uid: "CHE-123.456.789", eBillID: "41100000000000017", postal: StoreFixture.address), invoice: InvoiceDetails(amount: "120.50", currency: "CHF", reference: "RF18", iban: "CH9300762011623852957", dueDate: "2026-01-31"))
            envelope.documents.append(DocumentRef(role: .attachment, filename: nil, mediaType: "application/pdf", byteSize: 9, sha256: String(repeating: "cd", count: 32), pageCount: nil, storageKey: String(repeating: "cd", count: 32)))
            try await acceptNew(StoreFixture.submission(envelope), in: store)
            let record = try #require(try await store.record(envelope.id, organisation: nil))
            #expect(record.envelope == envelope)
        }
    }

    @Test("the same reference and request hash replays the stored first response")
    func replay() async throws {
        try await withStore { store in
            let first = StoreFixture.submission(organisation: org, ingressReference: "key-1", requestHash: "h", response: Data("first response".utf8))
            let original = try await acceptNew(first, in: store)
            let again = StoreFixture.submission(organisation: org, ingressReference: "key-1", requestHash: "h", response: Data("second response".utf8), at: base.addingTimeInterval(5))
            let result = try await store.accept(again)
            guard case .replayed(let envelope, let response) = result else {
                Issue.record("expected .replayed, got \(result)")
                return
            }
            #expect(envelope.id == original.id)
            #expect(response == Data("first response".utf8))
            #expect(try await store.record(again.envelope.id, organisation: nil) == nil)
            #expect(try await store.events(of: original.id, organisation: org).count == 1)
            #expect(try await store.feed(of: org, after: nil, type: nil, limit: 100).count == 1)
            #expect(try await store.pendingJobCount() == 1)
        }
    }

    @Test("a replay answers the envelope as it is now")
    func replayShowsCurrentState() async throws {
        try await withStore { store in
            let first = StoreFixture.submission(organisation: org, ingressReference: "key-1", requestHash: "h")
            let original = try await acceptNew(first, in: store)
            try await store.apply(EnvelopeChange(envelopeID: original.id, events: [StoreFixture.event(.routed, original, channel: .physical, at: base.addingTimeInterval(1))]))
            let result = try await store.accept(StoreFixture.submission(organisation: org, ingressReference: "key-1", requestHash: "h"))
            guard case .replayed(let envelope, let response) = result else {
                Issue.record("expected .replayed, got \(result)")
                return
            }
            #expect(envelope.status == .routed)
            #expect(envelope.channel == .physical)
            #expect(response == nil)
        }
    }

    @Test("the same reference with a different request hash is refused and writes nothing")
    func mismatch() async throws {
        try await withStore { store in
            let original = try await acceptNew(StoreFixture.submission(organisation: org, ingressReference: "key-1", requestHash: "h1"), in: store)
            let other = StoreFixture.submission(organisation: org, ingressReference: "key-1", requestHash: "h2")
            await expectMissiveError(.idempotencyMismatch) { _ = try await store.accept(other) }
            #expect(try await store.record(other.envelope.id, organisation: nil) == nil)
            #expect(try await store.envelopes(of: org, filter: EnvelopeFilter(), after: nil, limit: 10).map(\.id) == [original.id])
            #expect(try await store.feed(of: org, after: nil, type: nil, limit: 100).count == 1)
            #expect(try await store.pendingJobCount() == 1)
        }
    }

    @Test("a reference is scoped by organisation and by ingress")
    func referenceScope() async throws {
        try await withStore { store in
            let other = OrganisationID.generate()
            let a = try await acceptNew(StoreFixture.submission(organisation: org, ingressReference: "key-1", requestHash: "h1"), in: store)
            let b = try await acceptNew(StoreFixture.submission(organisation: other, ingressReference: "key-1", requestHash: "h2"), in: store)
            let c = try await acceptNew(StoreFixture.submission(organisation: org, ingressReference: "key-1", ingress: .soap, requestHash: "h3"), in: store)
            #expect(Set([a.id, b.id, c.id]).count == 3)
            #expect(try await store.envelopes(of: org, filter: EnvelopeFilter(), after: nil, limit: 10).count == 2)
            #expect(try await store.envelopes(of: other, filter: EnvelopeFilter(), after: nil, limit: 10).map(\.id) == [b.id])
        }
    }

    @Test("submissions without a reference are never deduplicated")
    func noReference() async throws {
        try await withStore { store in
            try await acceptNew(StoreFixture.submission(organisation: org, requestHash: "same"), in: store)
            try await acceptNew(StoreFixture.submission(organisation: org, requestHash: "same"), in: store)
            #expect(try await store.envelopes(of: org, filter: EnvelopeFilter(), after: nil, limit: 10).count == 2)
        }
    }

    @Test("accept waits for the committer to start, and fails once it has stopped")
    func committerLifecycle() async throws {
        let folder = try StoreFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try StoreFixture.openStore(path: folder.appendingPathComponent("missive.sqlite").path)
        let submission = StoreFixture.submission(organisation: org)
        async let early = store.accept(submission)
        try await Task.sleep(for: .milliseconds(50))
        let runner = Task { await store.run() }
        guard case .accepted(let envelope) = try await early else {
            Issue.record("expected the queued submission to be accepted")
            return
        }
        #expect(envelope.id == submission.envelope.id)
        runner.cancel()
        await runner.value
        await expectMissiveError(.unavailable) { _ = try await store.accept(StoreFixture.submission(organisation: org)) }
        #expect(try await store.record(submission.envelope.id, organisation: org) != nil)
    }
}
