import Foundation
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore feed and tenancy")
struct FeedAndTenancyTests {
    let orgA = OrganisationID.generate()
    let orgB = OrganisationID.generate()
    let base = StoreFixture.base

    func at(_ seconds: Double) -> Date { base.addingTimeInterval(seconds) }

    /// Accepts `count` envelopes for `organisation` and routes every other one; returns the
    /// events in the order they were committed.
    func populate(_ store: SQLiteStore, _ organisation: OrganisationID, count: Int) async throws -> (envelopes: [Envelope], events: [StatusEvent]) {
        var envelopes: [Envelope] = []
        var events: [StatusEvent] = []
        for i in 0..<count {
            let submission = StoreFixture.submission(organisation: organisation, at: at(Double(i)), kind: i % 3 == 0 ? .invoice : .letter, reference: "ref-\(i % 2)")
            envelopes.append(try await acceptNew(submission, in: store))
            events.append(submission.acceptedEvent)
            if i % 2 == 0 {
                let routed = StoreFixture.event(.routed, submission.envelope, channel: .physical, at: at(Double(i) + 0.5))
                try await store.apply(EnvelopeChange(envelopeID: submission.envelope.id, events: [routed]))
                events.append(routed)
            }
        }
        return (envelopes, events)
    }

    @Test("the feed is ordered and cursor paging yields every event exactly once")
    func feedPaging() async throws {
        try await withStore { store in
            let (_, events) = try await populate(store, orgA, count: 11)
            _ = try await populate(store, orgB, count: 3)
            #expect(try await store.feed(of: orgA, after: nil, type: nil, limit: 100) == events)

            var seen: [StatusEvent] = []
            var cursor: EventID?
            while true {
                let page = try await store.feed(of: orgA, after: cursor, type: nil, limit: 4)
                #expect(page.count <= 4)
                guard let last = page.last else { break }
                seen += page
                cursor = last.id
            }
            #expect(seen == events)

            let routed = try await store.feed(of: orgA, after: nil, type: .routed, limit: 100)
            #expect(routed == events.filter { $0.type == .routed })
            let afterFirstRouted = try await store.feed(of: orgA, after: routed[0].id, type: .routed, limit: 2)
            #expect(afterFirstRouted == Array(routed[1...2]))
        }
    }

    @Test("an unknown cursor, or another organisation's event as cursor, is refused")
    func unknownCursor() async throws {
        try await withStore { store in
            let (_, eventsA) = try await populate(store, orgA, count: 2)
            _ = try await populate(store, orgB, count: 2)
            await expectMissiveError(.invalidField) { _ = try await store.feed(of: orgA, after: .generate(), type: nil, limit: 10) }
            await expectMissiveError(.invalidField) { _ = try await store.feed(of: orgB, after: eventsA[0].id, type: nil, limit: 10) }
        }
    }

    @Test("an organisation never sees another's envelopes or events")
    func isolation() async throws {
        try await withStore { store in
            let (envelopesA, eventsA) = try await populate(store, orgA, count: 4)
            let (envelopesB, eventsB) = try await populate(store, orgB, count: 3)
            for envelope in envelopesA {
                #expect(try await store.record(envelope.id, organisation: orgB) == nil)
                #expect(try await store.record(envelope.id, organisation: orgA) != nil)
                #expect(try await store.record(envelope.id, organisation: nil) != nil)
                #expect(try await store.events(of: envelope.id, organisation: orgB).isEmpty)
                #expect(try await store.events(of: envelope.id, organisation: orgA).isEmpty == false)
            }
            #expect(Set(try await store.envelopes(of: orgB, filter: EnvelopeFilter(), after: nil, limit: 100).map(\.id)) == Set(envelopesB.map(\.id)))
            #expect(Set(try await store.envelopes(of: orgA, filter: EnvelopeFilter(), after: nil, limit: 100).map(\.id)) == Set(envelopesA.map(\.id)))
            #expect(try await store.feed(of: orgB, after: nil, type: nil, limit: 100) == eventsB)
            #expect(try await store.feed(of: orgA, after: nil, type: nil, limit: 100) == eventsA)
            #expect(try await store.envelopes(of: .generate(), filter: EnvelopeFilter(), after: nil, limit: 100).isEmpty)
        }
    }

    @Test("envelopes are listed newest first; cursor paging yields each once")
    func envelopePaging() async throws {
        try await withStore { store in
            let (envelopes, _) = try await populate(store, orgA, count: 7)
            let newestFirst = envelopes.map(\.id).sorted(by: >)
            #expect(try await store.envelopes(of: orgA, filter: EnvelopeFilter(), after: nil, limit: 100).map(\.id) == newestFirst)
            var seen: [EnvelopeID] = []
            var cursor: EnvelopeID?
            while true {
                let page = try await store.envelopes(of: orgA, filter: EnvelopeFilter(), after: cursor, limit: 3)
                guard let last = page.last else { break }
                seen += page.map(\.id)
                cursor = last.id
            }
            #expect(seen == newestFirst)
        }
    }

    @Test("envelope filters select by status, kind, channel, reference and creation time")
    func envelopeFilters() async throws {
        try await withStore { store in
            let (envelopes, _) = try await populate(store, orgA, count: 6)
            func ids(_ filter: EnvelopeFilter) async throws -> Set<EnvelopeID> {
                Set(try await store.envelopes(of: orgA, filter: filter, after: nil, limit: 100).map(\.id))
            }
            let indexed = Array(envelopes.enumerated())
            #expect(try await ids(EnvelopeFilter(status: .routed)) == Set(indexed.filter { $0.offset % 2 == 0 }.map(\.element.id)))
            #expect(try await ids(EnvelopeFilter(status: .accepted)) == Set(indexed.filter { $0.offset % 2 == 1 }.map(\.element.id)))
            #expect(try await ids(EnvelopeFilter(kind: .invoice)) == Set(indexed.filter { $0.offset % 3 == 0 }.map(\.element.id)))
            #expect(try await ids(EnvelopeFilter(channel: .physical)) == Set(indexed.filter { $0.offset % 2 == 0 }.map(\.element.id)))
            #expect(try await ids(EnvelopeFilter(reference: "ref-1")) == Set(indexed.filter { $0.offset % 2 == 1 }.map(\.element.id)))
            #expect(try await ids(EnvelopeFilter(createdAfter: at(2), createdBefore: at(5))) == Set(indexed[3...4].map(\.element.id)))
            #expect(try await ids(EnvelopeFilter(status: .routed, kind: .invoice)) == [envelopes[0].id])
            let counts = try await store.statusCounts()
            #expect(counts["routed"] == 3 && counts["accepted"] == 3)
        }
    }
}
