import Foundation
import Testing

/// The organisation's durable cursor feed, `GET /v1/events`.
@Suite("Event feed end to end")
struct EventFeedTests {
    @Test("paging with after=nextCursor returns each event once; a page read twice is identical")
    func pagingIsStable() async throws {
        try await withHub { hub in
            var ids: [String] = []
            for recipient in ["unreachable", "physical", "unreachable", "physical-returned"] {
                ids.append(try await hub.send(to: recipient))
            }
            try await hub.waitForEvent("failed", of: ids[0])
            try await hub.waitForEvent("posted", of: ids[1])
            try await hub.waitForEvent("failed", of: ids[2])
            try await hub.waitForEvent("returned", of: ids[3])
            var expected: [String] = []
            for id in ids { expected += try await hub.events(of: id).compactMap { $0["id"]?.string } }
            #expect(expected.count >= 13)

            var seen: [String] = []
            var cursor: String?
            var pages = 0
            while pages < 100 {
                let path = "/v1/events?limit=3" + (cursor.map { "&after=\($0)" } ?? "")
                let page = try await hub.request(.GET, path)
                #expect(page.status == 200)
                let reread = try await hub.request(.GET, path)
                #expect(reread.body == page.body, "page \(pages) read twice differs")
                let json = try page.json()
                let items = json["items"]?.array ?? []
                #expect(items.count <= 3)
                if items.isEmpty {
                    // An empty page keeps the cursor, so a consumer can poll with it.
                    #expect(json["nextCursor"]?.string == cursor)
                    break
                }
                seen += items.compactMap { $0["id"]?.string }
                #expect(json["nextCursor"]?.string == items.last?["id"]?.string)
                cursor = json["nextCursor"]?.string
                pages += 1
            }
            #expect(seen.count == Set(seen).count, "an event was returned twice")
            #expect(Set(seen) == Set(expected))
            // Per envelope, the feed keeps the envelope's own event order.
            var perEnvelope: [String: [String]] = [:]
            for id in ids { perEnvelope[id] = try await hub.events(of: id).compactMap { $0["id"]?.string } }
            for (id, events) in perEnvelope {
                #expect(seen.filter { events.contains($0) } == events, "order of \(id)'s events in the feed")
            }

            // Reading did not consume anything: the feed from the start is the same again.
            let whole = try await hub.get("/v1/events?limit=200")["items"]?.array?.compactMap { $0["id"]?.string }
            #expect(whole == seen)

            // New events appear after the last cursor.
            let later = try await hub.send(to: "unreachable")
            try await hub.waitForEvent("failed", of: later)
            let fresh = try await hub.get("/v1/events?after=\(try #require(cursor))")["items"]?.array ?? []
            #expect(fresh.compactMap { $0["envelopeId"]?.string }.allSatisfy { $0 == later })
            #expect(fresh.compactMap { $0["type"]?.string }.last == "failed")
        }
    }
}
