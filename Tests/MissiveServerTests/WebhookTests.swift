import Foundation
import Testing

/// Signed webhooks to a real receiver that checks the Standard Webhooks signature itself.
@Suite("Webhooks end to end")
struct WebhookTests {
    /// Subscribes `url`; returns the subscription id and hands the secret to the receiver.
    private func subscribe(_ hub: TestHub, receiver: WebhookReceiver, url: String) async throws -> String {
        let response = try await hub.post("/v1/webhooks", json: ["url": .string(url), "description": "e2e"])
        #expect(response.status == 201)
        let webhook = try response.json()
        let secret = try #require(webhook["secret"]?.string)
        #expect(secret.hasPrefix("whsec_"))
        receiver.use(secret: secret)
        return try #require(webhook["id"]?.string)
    }

    @Test("a physical letter's events arrive signed, once each, in order")
    func signedEventsArriveInOrder() async throws {
        try await withHub { hub in
            let receiver = WebhookReceiver()
            try await receiver.run { url in
                _ = try await subscribe(hub, receiver: receiver, url: url)
                let id = try await hub.send(to: "physical")
                let expected = ["envelope.accepted", "envelope.routed", "envelope.printed", "envelope.posted"]
                let messages = try await eventually("the receiver did not get \(expected)") { () -> [WebhookReceiver.Message]? in
                    let mine = receiver.messages.filter { $0.envelopeID == id }
                    return mine.count >= expected.count ? mine : nil
                }
                #expect(receiver.rejections.isEmpty)
                #expect(messages.count == expected.count)
                #expect(Set(messages.map(\.webhookID)).count == messages.count, "one message per event")
                #expect(messages.allSatisfy { $0.payload["data"]?["type"]?.string.map { "envelope." + $0 } == $0.type })

                // Each message carries one of the envelope's events; in the envelope's event
                // order, they are accepted, routed, printed, posted.
                let eventIDs = try await hub.events(of: id).compactMap { $0["id"]?.string }
                let positions = messages.map { message in message.payload["data"]?["id"]?.string.flatMap { eventIDs.firstIndex(of: $0) } }
                #expect(positions.allSatisfy { $0 != nil }, "every message is an event of the envelope")
                let inEventOrder = zip(positions, messages).sorted { ($0.0 ?? .max) < ($1.0 ?? .max) }.map(\.1.type)
                #expect(inEventOrder == expected)

                // Known bug: deliveries are claimed in batches and sent concurrently, so two events
                // committed milliseconds apart (printed, posted) now and then arrive swapped.
                let arrival = messages.map(\.type)
                // Messages of one envelope are sent one at a time, in event order.
                #expect(arrival == expected, "arrival order")
            }
        }
    }

    @Test("a receiver that fails twice still gets the message; the attempts are listed")
    func failingReceiverIsRetried() async throws {
        try await withHub { hub in
            let receiver = WebhookReceiver(failFirst: 2)
            try await receiver.run { url in
                let webhookID = try await subscribe(hub, receiver: receiver, url: url)
                let queued = try await hub.request(.POST, "/v1/webhooks/\(webhookID)/test")
                #expect(queued.status == 202)
                let deliveryID = try #require(try queued.json()["id"]?.string)

                let message = try await eventually("the message never arrived") {
                    receiver.messages.first { $0.webhookID == deliveryID }
                }
                #expect(message.type == "webhook.test")
                #expect(receiver.requestCount >= 3)
                #expect(receiver.rejections.isEmpty)

                let delivery = try await eventually("the delivery never showed as succeeded") { () -> JSON? in
                    let items = try await hub.get("/v1/webhooks/\(webhookID)/deliveries")["items"]?.array ?? []
                    return items.first { $0["id"]?.string == deliveryID && $0["status"]?.string == "succeeded" }
                }
                let attempts = delivery["attempts"]?.array ?? []
                #expect(attempts.count >= 3)
                #expect(delivery["attemptCount"]?.int == attempts.count)
                #expect(attempts.prefix(2).map { $0["statusCode"]?.int } == [500, 500])
                #expect(attempts.last?["statusCode"]?.int == 204)
            }
        }
    }

    @Test("POST /v1/webhooks/{id}/test delivers a signed webhook.test")
    func testMessageIsDelivered() async throws {
        try await withHub { hub in
            let receiver = WebhookReceiver()
            try await receiver.run { url in
                let webhookID = try await subscribe(hub, receiver: receiver, url: url)
                let queued = try await hub.request(.POST, "/v1/webhooks/\(webhookID)/test")
                #expect(queued.status == 202)
                let delivery = try queued.json()
                #expect(delivery["eventType"]?.string == "webhook.test")
                #expect(delivery["webhookId"]?.string == webhookID)

                let message = try await eventually("webhook.test never arrived") {
                    receiver.messages.first { $0.type == "webhook.test" }
                }
                #expect(message.webhookID == delivery["id"]?.string)
                #expect(message.payload["data"]?["webhookId"]?.string == webhookID)
                #expect(receiver.rejections.isEmpty)
            }
        }
    }
}
