import Foundation
import GRDB
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore webhook outbox")
struct WebhookOutboxTests {
    let orgA = OrganisationID.generate()
    let orgB = OrganisationID.generate()
    let base = StoreFixture.base

    func at(_ seconds: Double) -> Date { base.addingTimeInterval(seconds) }

    func subscription(_ organisation: OrganisationID, _ types: [EventType]) -> WebhookSubscription {
        WebhookSubscription(id: .generate(), organisationID: organisation, url: "https://hooks.example/\(UUID().uuidString)", description: "ERP", eventTypes: types, secret: "whsec_\(UUID().uuidString)", createdAt: base)
    }

    /// Accepts and routes one envelope of `organisation`; returns its accepted and routed events.
    func acceptAndRoute(_ store: SQLiteStore, _ organisation: OrganisationID) async throws -> [StatusEvent] {
        let submission = StoreFixture.submission(organisation: organisation)
        try await acceptNew(submission, in: store)
        let routed = StoreFixture.event(.routed, submission.envelope, channel: .physical, at: at(1))
        try await store.apply(EnvelopeChange(envelopeID: submission.envelope.id, events: [routed]))
        return [submission.acceptedEvent, routed]
    }

    @Test("subscriptions are stored, listed and read per organisation")
    func subscriptions() async throws {
        try await withStore { store in
            let hook = subscription(orgA, [.delivered, .failed])
            try await store.createSubscription(hook)
            #expect(try await store.subscriptions(of: orgA) == [hook])
            #expect(try await store.subscription(hook.id, organisation: orgA) == hook)
            #expect(try await store.subscriptions(of: orgB).isEmpty)
            #expect(try await store.subscription(hook.id, organisation: orgB) == nil)
            #expect(try await store.deleteSubscription(hook.id, organisation: orgB) == false)
            #expect(try await store.subscription(hook.id, organisation: orgA) != nil)
        }
    }

    @Test("signing secrets are stored sealed, never in clear text; older clear ones are sealed on request")
    func secretsAreSealed() async throws {
        try await withStore { store in
            let hook = subscription(orgA, [])
            try await store.createSubscription(hook)
            let raw = try await store.database.pool.read { db in try Row.fetchOne(db, sql: "SELECT secret, secret_sealed FROM webhooks WHERE id = ?", arguments: [hook.id.rawValue]) }
            #expect(raw?["secret"] == "")
            let sealed = try #require(raw?["secret_sealed"] as Data?)
            #expect(sealed.range(of: Data(hook.secret.utf8)) == nil)
            #expect(try await store.subscription(hook.id, organisation: orgA)?.secret == hook.secret)
            // A row from before v7 (clear text) still works and is sealed by the start-up pass.
            let legacy = subscription(orgA, [])
            try await store.database.pool.write { db in
                try db.execute(sql: "INSERT INTO webhooks (id, organisation_id, url, description, event_types, secret, created_at, format) VALUES (?, ?, ?, NULL, '[]', ?, ?, 'standard-webhooks')", arguments: [legacy.id.rawValue, orgA.rawValue, legacy.url, legacy.secret, base.storage])
            }
            #expect(try await store.subscription(legacy.id, organisation: orgA)?.secret == legacy.secret)
            #expect(try await store.sealClearWebhookSecrets() == 1)
            #expect(try await store.sealClearWebhookSecrets() == 0)
            let clear = try await store.database.pool.read { db in try String.fetchAll(db, sql: "SELECT secret FROM webhooks") }
            #expect(clear == ["", ""])
            #expect(try await store.subscription(legacy.id, organisation: orgA)?.secret == legacy.secret)
            _ = try await acceptAndRoute(store, orgA)
            let claimed = try await store.claimDeliveries(limit: 10, now: at(5), leaseDuration: 30)
            #expect(Set(claimed.map(\.secret)) == [hook.secret, legacy.secret])
        }
    }

    @Test("events enqueue deliveries for matching subscriptions of their organisation only")
    func eventsEnqueueDeliveries() async throws {
        try await withStore { store in
            let acceptedOnly = subscription(orgA, [.accepted])
            let everything = subscription(orgA, [])
            let deliveredOnly = subscription(orgA, [.delivered])
            for hook in [acceptedOnly, everything, deliveredOnly] { try await store.createSubscription(hook) }
            let events = try await acceptAndRoute(store, orgA)
            _ = try await acceptAndRoute(store, orgB)

            let first = try await store.deliveries(of: acceptedOnly.id, organisation: orgA, limit: 10)
            #expect(first.map(\.eventID) == [events[0].id])
            #expect(first.map(\.eventType) == ["envelope.accepted"])
            #expect(first.first?.status == .pending)
            #expect(first.first?.attemptCount == 0)
            #expect(first.first?.nextAttemptAt == events[0].at)
            #expect(first.first?.payload == WebhookMessage.body(for: events[0]))

            let all = try await store.deliveries(of: everything.id, organisation: orgA, limit: 10)
            #expect(all.map(\.eventID) == [events[1].id, events[0].id])
            #expect(all.map(\.eventType) == ["envelope.routed", "envelope.accepted"])
            #expect(all.allSatisfy { $0.organisationID == orgA && $0.webhookID == everything.id })

            #expect(try await store.deliveries(of: deliveredOnly.id, organisation: orgA, limit: 10).isEmpty)
            #expect(try await store.deliveries(of: everything.id, organisation: orgB, limit: 10).isEmpty)
            #expect(try await store.pendingDeliveryCount() == 3)
        }
    }

    @Test("claimed deliveries carry their subscription's url and secret and are leased")
    func claimDeliveries() async throws {
        try await withStore { store in
            let hook = subscription(orgA, [])
            try await store.createSubscription(hook)
            _ = try await acceptAndRoute(store, orgA)
            #expect(try await store.nextDeliveryDue() == base)
            #expect(try await store.claimDeliveries(limit: 10, now: at(-1), leaseDuration: 60).isEmpty)
            let first = try await store.claimDeliveries(limit: 1, now: at(0), leaseDuration: 5)  // real time: a margin for a loaded machine
            #expect(first.map(\.delivery.eventType) == ["envelope.accepted"])
            #expect(first.first?.url == hook.url)
            #expect(first.first?.secret == hook.secret)
            #expect(try await store.nextDeliveryDue() == at(1))
            // In order per envelope: "routed" waits while "accepted" is being sent.
            #expect(try await store.claimDeliveries(limit: 10, now: at(10), leaseDuration: 60).isEmpty)
            try await Task.sleep(for: .milliseconds(5_500))
            let reclaimed = try await store.claimDeliveries(limit: 10, now: at(10), leaseDuration: 60)
            #expect(reclaimed.map(\.delivery.id) == first.map(\.delivery.id))
            #expect(reclaimed.first?.lease != first.first?.lease)
            let done = try #require(reclaimed.first)
            try await store.recordAttempt(done, attempt: WebhookAttempt(at: at(10), statusCode: 204, error: nil, durationMs: 3), succeeded: true, nextAttemptAt: nil)
            let second = try await store.claimDeliveries(limit: 10, now: at(10), leaseDuration: 60)
            #expect(second.map(\.delivery.eventType) == ["envelope.routed"])
            #expect(try await store.claimDeliveries(limit: 10, now: at(10), leaseDuration: 60).isEmpty)
        }
    }

    @Test("attempts: success settles, failure reschedules, giving up fails; stale leases are ignored")
    func recordAttempts() async throws {
        try await withStore { store in
            let hook = subscription(orgA, [.accepted])
            try await store.createSubscription(hook)
            _ = try await acceptAndRoute(store, orgA)
            _ = try await acceptAndRoute(store, orgA)
            var claimed = try await store.claimDeliveries(limit: 10, now: at(0), leaseDuration: 60)
            #expect(claimed.count == 2)
            let (one, two) = (claimed[0], claimed[1])

            try await store.recordAttempt(one, attempt: WebhookAttempt(at: at(2), statusCode: 204, error: nil, durationMs: 12), succeeded: true, nextAttemptAt: nil)
            try await store.recordAttempt(two, attempt: WebhookAttempt(at: at(2), statusCode: 500, error: nil, durationMs: 30), succeeded: false, nextAttemptAt: at(100))
            var stale = two
            stale.lease = "stale"
            try await store.recordAttempt(stale, attempt: WebhookAttempt(at: at(3), statusCode: 200, error: nil, durationMs: 1), succeeded: true, nextAttemptAt: nil)

            var deliveries = Dictionary(uniqueKeysWithValues: try await store.deliveries(of: hook.id, organisation: orgA, limit: 10).map { ($0.id, $0) })
            #expect(deliveries[one.delivery.id]?.status == .succeeded)
            #expect(deliveries[one.delivery.id]?.attemptCount == 1)
            #expect(deliveries[one.delivery.id]?.attempts == [WebhookAttempt(at: at(2), statusCode: 204, error: nil, durationMs: 12)])
            #expect(deliveries[two.delivery.id]?.status == .pending)
            #expect(deliveries[two.delivery.id]?.attemptCount == 1)
            #expect(deliveries[two.delivery.id]?.nextAttemptAt == at(100))
            #expect(try await store.nextDeliveryDue() == at(100))

            #expect(try await store.claimDeliveries(limit: 10, now: at(99), leaseDuration: 60).isEmpty)
            claimed = try await store.claimDeliveries(limit: 10, now: at(100), leaseDuration: 60)
            #expect(claimed.map(\.delivery.id) == [two.delivery.id])
            try await store.recordAttempt(claimed[0], attempt: WebhookAttempt(at: at(101), statusCode: nil, error: "timeout", durationMs: 10_000), succeeded: false, nextAttemptAt: nil)

            deliveries = Dictionary(uniqueKeysWithValues: try await store.deliveries(of: hook.id, organisation: orgA, limit: 10).map { ($0.id, $0) })
            let givenUp = try #require(deliveries[two.delivery.id])
            #expect(givenUp.status == .failed)
            #expect(givenUp.attemptCount == 2)
            #expect(givenUp.attempts.map(\.statusCode) == [500, nil])
            #expect(givenUp.attempts.map(\.error) == [nil, "timeout"])
            #expect(try await store.claimDeliveries(limit: 10, now: at(10_000), leaseDuration: 60).isEmpty)
            #expect(try await store.nextDeliveryDue() == nil)
            #expect(try await store.pendingDeliveryCount() == 0)
        }
    }

    @Test("deleting a subscription removes its deliveries and their attempts")
    func deleteSubscription() async throws {
        try await withStore { store in
            let doomed = subscription(orgA, [])
            let kept = subscription(orgA, [.accepted])
            try await store.createSubscription(doomed)
            try await store.createSubscription(kept)
            _ = try await acceptAndRoute(store, orgA)
            let claimed = try await store.claimDeliveries(limit: 10, now: at(10), leaseDuration: 60)
            for delivery in claimed {
                try await store.recordAttempt(delivery, attempt: WebhookAttempt(at: at(11), statusCode: 503, error: nil, durationMs: 5), succeeded: false, nextAttemptAt: at(20))
            }
            #expect(try await store.deleteSubscription(doomed.id, organisation: orgA))
            #expect(try await store.deleteSubscription(doomed.id, organisation: orgA) == false)
            #expect(try await store.deliveries(of: doomed.id, organisation: orgA, limit: 10).isEmpty)
            #expect(try await store.deliveries(of: kept.id, organisation: orgA, limit: 10).count == 1)
            let remaining = try await store.claimDeliveries(limit: 10, now: at(30), leaseDuration: 60)
            #expect(remaining.map(\.delivery.webhookID) == [kept.id])
            let (deliveryRows, attemptRows) = try await store.database.pool.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhook_deliveries") ?? -1, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhook_attempts") ?? -1)
            }
            #expect(deliveryRows == 1)
            #expect(attemptRows == 1)
        }
    }

    @Test("a message enqueued outside the event flow is delivered like any other")
    func enqueueTestMessage() async throws {
        try await withStore { store in
            let hook = subscription(orgA, [.failed])
            try await store.createSubscription(hook)
            let delivery = WebhookDelivery(
                id: .generate(at: base), webhookID: hook.id, organisationID: orgA, eventID: nil, eventType: "webhook.test",
                payload: WebhookMessage.testBody(webhook: hook.id, at: base), status: .pending, attemptCount: 0, nextAttemptAt: nil, createdAt: base, attempts: []
            )
            try await store.enqueue(delivery)
            var expected = delivery
            expected.nextAttemptAt = base
            #expect(try await store.deliveries(of: hook.id, organisation: orgA, limit: 10) == [expected])
            let claimed = try await store.claimDeliveries(limit: 10, now: base, leaseDuration: 60)
            #expect(claimed.map(\.delivery) == [expected])
        }
    }
}
