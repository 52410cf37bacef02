import Foundation
import Testing

/// A hub restarted on the same data folder continues where the first one stopped.
@Suite("Restart end to end")
struct RestartTests {
    /// What the first run left behind.
    private struct FirstRun: Sendable {
        var apiKey: String
        var failed: String
        var delivered: String
        /// Scheduled a day ahead: recipient id → envelope id.
        var scheduled: [String: String]
        /// Sent just before the stop, without waiting for it.
        var inFlight: String
        /// Event ids per envelope at the stop (in-flight one excluded: it may still move).
        var events: [String: [String]]
    }

    @Test("envelopes and events survive a restart, and pending envelopes proceed")
    func restartContinues() async throws {
        try await withTemporaryDirectory { directory in
            let tomorrow = rfc3339(Date().addingTimeInterval(86_400))

            var firstRun: FirstRun?
            try await withHub(dataDirectory: directory) { hub in
                let failed = try await hub.send(to: "unreachable")
                let delivered = try await hub.send(to: "digital")
                var scheduled: [String: String] = [:]
                for recipient in ["physical", "digital-never-opens", "physical-returned"] {
                    scheduled[recipient] = try await hub.send(to: recipient, extra: ["policy": ["notBefore": .string(tomorrow)]])
                }
                try await hub.waitForEvent("failed", of: failed)
                try await hub.waitForEvent("delivered", of: delivered)
                var events: [String: [String]] = [:]
                for id in [failed, delivered] + scheduled.values {
                    events[id] = try await hub.events(of: id).compactMap { $0["id"]?.string }
                }
                for id in scheduled.values {
                    #expect(try await hub.eventTypes(of: id) == ["accepted"])
                }
                // Stopped right after this is acknowledged, wherever its dispatch has got to.
                let inFlight = try await hub.send(to: "physical")
                firstRun = FirstRun(apiKey: hub.apiKey, failed: failed, delivered: delivered, scheduled: scheduled, inFlight: inFlight, events: events)
            }
            let first = try #require(firstRun)

            try await withHub(dataDirectory: directory) { hub in
                #expect(hub.apiKey == first.apiKey)
                // Everything recorded before the restart is still there, unchanged and in order.
                for (id, eventIDs) in first.events {
                    let now = try await hub.events(of: id).compactMap { $0["id"]?.string }
                    #expect(Array(now.prefix(eventIDs.count)) == eventIDs, "events of \(id)")
                }
                #expect(try await hub.envelope(first.failed)["status"]?.string == "failed")
                let listed = try await hub.get("/v1/envelopes")["items"]?.array?.compactMap { $0["id"]?.string } ?? []
                #expect(Set(listed) == Set([first.failed, first.delivered, first.inFlight] + first.scheduled.values))

                // The envelope accepted just before the stop is finished by the new hub.
                let inFlight = try await hub.waitForEvent("posted", of: first.inFlight)
                #expect(inFlight.compactMap { $0["type"]?.string } == ["accepted", "routed", "printed", "posted"])

                // The mailbox survived too: the letter delivered before the restart can be opened.
                let mailboxKey = try #require(try hub.recipient("digital").mailboxKey)
                let letters = try await hub.get("/v1/mailbox/letters", as: .bearer(mailboxKey))["items"]?.array ?? []
                let letterID = try #require(letters.first?["id"]?.string)
                #expect(try await hub.request(.GET, "/v1/mailbox/letters/\(letterID)/document", as: .bearer(mailboxKey)).status == 200)
                try await hub.waitForEvent("consulted", of: first.delivered)

                // The scheduled envelopes were still waiting at the stop; once due, they proceed.
                for id in first.scheduled.values {
                    #expect(try await hub.eventTypes(of: id) == ["accepted"])
                }
                #expect(try await hub.post("/v1/sandbox/clock", json: ["seconds": 172_800]).status == 200)
                let physical = try #require(first.scheduled["physical"])
                let returned = try #require(first.scheduled["physical-returned"])
                let digital = try #require(first.scheduled["digital-never-opens"])
                #expect(try await hub.waitForEvent("posted", of: physical).compactMap { $0["type"]?.string } == ["accepted", "routed", "printed", "posted"])
                try await hub.waitForEvent("returned", of: returned)
                try await hub.waitForEvent("delivered", of: digital)
            }
        }
    }
}
