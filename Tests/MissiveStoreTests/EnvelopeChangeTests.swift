import Foundation
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore apply")
struct EnvelopeChangeTests {
    let org = OrganisationID.generate()
    let base = StoreFixture.base

    func at(_ seconds: Double) -> Date { base.addingTimeInterval(seconds) }

    /// Everything `apply` may touch, to compare before and after a refused change.
    struct Snapshot: Equatable {
        var record: EnvelopeRecord?
        var events: [StatusEvent]
        var jobs: Int
        var deliveries: Int
    }

    func snapshot(_ envelope: Envelope, _ store: SQLiteStore) async throws -> Snapshot {
        Snapshot(
            record: try await store.record(envelope.id, organisation: org),
            events: try await store.events(of: envelope.id, organisation: org),
            jobs: try await store.pendingJobCount(),
            deliveries: try await store.pendingDeliveryCount()
        )
    }

    @Test("legal events update status and channel and append in order")
    func legalEvents() async throws {
        try await withStore { store in
            let envelope = try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            let routed = StoreFixture.event(.routed, envelope, channel: .ePost, at: at(1), reason: Reason(code: "digital", text: "Mailbox."))
            try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [routed]))
            var record = try #require(try await store.record(envelope.id, organisation: org))
            #expect(record.envelope.status == .routed)
            #expect(record.envelope.channel == .ePost)
            #expect(record.envelope.statusReason == Reason(code: "digital", text: "Mailbox."))
            #expect(record.envelope.updatedAt == at(1))

            let delivered = StoreFixture.event(.delivered, envelope, channel: .ePost, at: at(2), detail: ["mailbox": "mbx"])
            let consulted = StoreFixture.event(.consulted, envelope, channel: .ePost, at: at(3))
            try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [delivered, consulted]))
            record = try #require(try await store.record(envelope.id, organisation: org))
            #expect(record.envelope.status == .consulted)
            #expect(record.envelope.statusReason == nil)
            #expect(record.envelope.updatedAt == at(3))
            #expect(record.lifecycle == EnvelopeLifecycle(status: .consulted, channel: .ePost, deliveredToMailbox: true, consulted: true))
            let events = try await store.events(of: envelope.id, organisation: org)
            #expect(events.map(\.type) == [.accepted, .routed, .delivered, .consulted])
            #expect(events.dropFirst() == [routed, delivered, consulted])
        }
    }

    @Test("an illegal transition throws and writes nothing, not even the legal events before it")
    func illegalTransition() async throws {
        try await withStore { store in
            try await store.createSubscription(WebhookSubscription(id: .generate(), organisationID: org, url: "https://hooks.example/x", description: nil, eventTypes: [], secret: "whsec_x", createdAt: base))
            let envelope = try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            let job = try #require(try await store.claimJobs(limit: 1, now: at(0), leaseDuration: 60).first)
            let before = try await snapshot(envelope, store)

            await expectMissiveError(.illegalTransition) {
                try await store.apply(EnvelopeChange(
                    envelopeID: envelope.id, events: [StoreFixture.event(.delivered, envelope, channel: .ePost, at: at(1))],
                    enqueue: [NewJob(.dispatch, at: at(1))], dropPending: [.route], dispatched: true, completing: job
                ))
            }
            #expect(try await snapshot(envelope, store) == before)

            // A legal first event does not survive an illegal second one.
            await expectMissiveError(.illegalTransition) {
                try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [
                    StoreFixture.event(.routed, envelope, channel: .physical, at: at(1)),
                    StoreFixture.event(.delivered, envelope, channel: .physical, at: at(2)),
                ], enqueue: [NewJob(.dispatch, at: at(1))], completing: job))
            }
            #expect(try await snapshot(envelope, store) == before)
            // The job is still claimed under its lease: completing it now works.
            try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [StoreFixture.event(.routed, envelope, channel: .physical, at: at(3))], completing: job))
            #expect(try await store.pendingJobCount() == 0)
        }
    }

    @Test("an event of another envelope or organisation is refused and writes nothing")
    func foreignEvent() async throws {
        try await withStore { store in
            let envelope = try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            let other = try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            let otherOrg = OrganisationID.generate()
            let before = try await snapshot(envelope, store)
            let otherBefore = try await snapshot(other, store)

            // The other envelope's event, legal for both envelopes.
            await expectMissiveError(.illegalTransition) {
                try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [StoreFixture.event(.routed, other, channel: .physical, at: at(1))]))
            }
            // This envelope's id under another organisation.
            var foreign = StoreFixture.event(.routed, envelope, channel: .physical, at: at(1))
            foreign.organisationID = otherOrg
            await expectMissiveError(.illegalTransition) {
                try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [foreign]))
            }
            // A legal own event does not carry a foreign one through.
            await expectMissiveError(.illegalTransition) {
                try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [
                    StoreFixture.event(.routed, envelope, channel: .physical, at: at(1)),
                    StoreFixture.event(.printed, other, channel: .physical, at: at(2)),
                ], enqueue: [NewJob(.dispatch, at: at(1))]))
            }
            #expect(try await snapshot(envelope, store) == before)
            #expect(try await snapshot(other, store) == otherBefore)
            #expect(try await store.events(of: envelope.id, organisation: otherOrg).isEmpty)

            try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [StoreFixture.event(.routed, envelope, channel: .physical, at: at(3))]))
            #expect(try await store.record(envelope.id, organisation: org)?.envelope.status == .routed)
            #expect(try await store.record(other.id, organisation: org)?.envelope.status == .accepted)
        }
    }

    @Test("completing a job with a lost lease throws conflict and writes nothing")
    func wrongLease() async throws {
        try await withStore { store in
            let envelope = try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            var job = try #require(try await store.claimJobs(limit: 1, now: at(0), leaseDuration: 60).first)
            let before = try await snapshot(envelope, store)
            let routed = StoreFixture.event(.routed, envelope, channel: .physical, at: at(1))
            let genuine = job.lease
            job.lease = "not-the-lease"
            await expectMissiveError(.conflict) {
                try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [routed], enqueue: [NewJob(.dispatch, at: at(1))], completing: job))
            }
            #expect(try await snapshot(envelope, store) == before)

            job.lease = genuine
            try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [routed], enqueue: [NewJob(.dispatch, at: at(1))], completing: job))
            let jobs = try await store.claimJobs(limit: 10, now: at(100), leaseDuration: 60)
            #expect(jobs.map(\.kind) == [.dispatch])
            #expect(try await store.record(envelope.id, organisation: org)?.envelope.status == .routed)
        }
    }

    @Test("dropPending removes pending jobs of those kinds only")
    func dropPending() async throws {
        try await withStore { store in
            let envelope = try await acceptNew(StoreFixture.submission(organisation: org, routeAt: at(1000)), in: store)
            let other = try await acceptNew(StoreFixture.submission(organisation: org, routeAt: at(1000)), in: store)
            try await store.apply(EnvelopeChange(envelopeID: envelope.id, enqueue: [NewJob(.dispatch, at: at(5)), NewJob(.consultationDeadline, at: at(6)), NewJob(.dispatch, at: at(7))]))
            try await store.apply(EnvelopeChange(envelopeID: other.id, enqueue: [NewJob(.dispatch, at: at(5))]))
            #expect(try await store.pendingJobCount() == 6)
            try await store.apply(EnvelopeChange(envelopeID: envelope.id, dropPending: [.dispatch, .route]))
            let jobs = try await store.claimJobs(limit: 10, now: at(2000), leaseDuration: 60)
            #expect(Set(jobs.map { "\($0.envelopeID == envelope.id ? "mine" : "other"):\($0.kind.rawValue)" }) == ["mine:consultation_deadline", "other:dispatch", "other:route"])
            #expect(jobs.count == 3)
        }
    }

    @Test("requireUndispatched refuses a change once the envelope was dispatched")
    func requireUndispatched() async throws {
        try await withStore { store in
            let envelope = try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [StoreFixture.event(.routed, envelope, channel: .physical, at: at(1))], dispatched: true))
            let dispatched = try #require(try await store.record(envelope.id, organisation: org))
            #expect(dispatched.dispatchedAt != nil)
            let before = try await snapshot(envelope, store)
            let cancel = StoreFixture.event(.cancelled, envelope, at: at(2), reason: Reason(code: "sender_cancelled", text: "Withdrawn."))
            await expectMissiveError(.conflict) {
                try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [cancel], dropPending: [.route], requireUndispatched: true))
            }
            #expect(try await snapshot(envelope, store) == before)

            // `dispatched: false` clears the mark (a new route); then the cancel goes through.
            try await store.apply(EnvelopeChange(envelopeID: envelope.id, dispatched: false))
            #expect(try await store.record(envelope.id, organisation: org)?.dispatchedAt == nil)
            try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [cancel], requireUndispatched: true))
            let record = try #require(try await store.record(envelope.id, organisation: org))
            #expect(record.envelope.status == .cancelled)
            #expect(record.envelope.statusReason?.code == "sender_cancelled")
        }
    }

    @Test("applying to an unknown envelope throws notFound")
    func unknownEnvelope() async throws {
        try await withStore { store throws in
            let ghost = StoreFixture.envelope(organisation: org)
            await expectMissiveError(.notFound) {
                try await store.apply(EnvelopeChange(envelopeID: ghost.id, events: [StoreFixture.event(.routed, ghost, channel: .ePost, at: at(1))]))
            }
            #expect(try await store.feed(of: org, after: nil, type: nil, limit: 10).isEmpty)
        }
    }

    @Test("noteRouting records the entry and failed channels once; undispatched lists open envelopes")
    func routingNotes() async throws {
        try await withStore { store in
            let entry = DirectoryEntryID.generate()
            let a = try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            let b = try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            let c = try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            for envelope in [a, b, c] { try await store.noteRouting(envelope.id, entry: entry, failedChannel: nil) }
            try await store.noteRouting(a.id, entry: nil, failedChannel: .ePost)
            try await store.noteRouting(a.id, entry: nil, failedChannel: .ePost)
            try await store.noteRouting(a.id, entry: nil, failedChannel: .eBill)
            let record = try #require(try await store.record(a.id, organisation: org))
            #expect(record.failedChannels == [.ePost, .eBill])
            #expect(record.directoryEntryID == entry)

            try await store.apply(EnvelopeChange(envelopeID: b.id, events: [StoreFixture.event(.routed, b, channel: .physical, at: at(1))], dispatched: true))
            try await store.apply(EnvelopeChange(envelopeID: c.id, events: [StoreFixture.event(.routed, c, channel: .ePost, at: at(1))]))
            #expect(Set(try await store.undispatched(for: entry)) == [a.id, c.id])
            try await store.apply(EnvelopeChange(envelopeID: c.id, events: [StoreFixture.event(.cancelled, c, at: at(2))]))
            #expect(try await store.undispatched(for: entry) == [a.id])
            #expect(try await store.undispatched(for: .generate()).isEmpty)
        }
    }
}
