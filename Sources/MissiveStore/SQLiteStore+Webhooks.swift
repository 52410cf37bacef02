import Foundation
import GRDB
import MissiveCore

extension SQLiteStore: WebhookStore {
    public func createSubscription(_ subscription: WebhookSubscription) async throws {
        try await write { db in try Self.insert(subscription, db) }
    }

    public func replaceSubscriptions(in formats: [WebhookFormat], with subscription: WebhookSubscription) async throws {
        try await write { db in
            for format in formats {
                try db.execute(sql: "DELETE FROM webhooks WHERE organisation_id = ? AND format = ?", arguments: [subscription.organisationID.rawValue, format.rawValue])
            }
            try Self.insert(subscription, db)
        }
    }

    static func insert(_ subscription: WebhookSubscription, _ db: Database) throws {
        try db.execute(sql: "INSERT INTO webhooks (id, organisation_id, url, description, event_types, secret, created_at, format) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", arguments: [
            subscription.id.rawValue, subscription.organisationID.rawValue, subscription.url, subscription.description,
            try JSONColumn.encode(subscription.eventTypes), subscription.secret, subscription.createdAt.storage, subscription.format.rawValue,
        ])
    }

    public func subscriptions(of organisation: OrganisationID) async throws -> [WebhookSubscription] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM webhooks WHERE organisation_id = ? ORDER BY id", arguments: [organisation.rawValue]).map(Self.subscription)
        }
    }

    public func subscription(_ id: WebhookID, organisation: OrganisationID) async throws -> WebhookSubscription? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM webhooks WHERE id = ? AND organisation_id = ?", arguments: [id.rawValue, organisation.rawValue]).map(Self.subscription)
        }
    }

    public func deleteSubscription(_ id: WebhookID, organisation: OrganisationID) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM webhooks WHERE id = ? AND organisation_id = ?", arguments: [id.rawValue, organisation.rawValue])
            return db.changesCount == 1
        }
    }

    public func enqueue(_ delivery: WebhookDelivery) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO webhook_deliveries (id, webhook_id, organisation_id, event_id, event_type, payload, status, next_attempt_at, created_at)
                VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                """, arguments: [delivery.id.rawValue, delivery.webhookID.rawValue, delivery.organisationID.rawValue, delivery.eventID?.rawValue, delivery.eventType, delivery.payload, (delivery.nextAttemptAt ?? delivery.createdAt).storage, delivery.createdAt.storage])
        }
    }

    public func claimDeliveries(limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [ClaimedDelivery] {
        let lease = UUID().uuidString
        let real = Date()
        return try await write { db in
            let rows = try Row.fetchAll(db, sql: """
                UPDATE webhook_deliveries SET lease = ?, lease_until = ?
                WHERE seq IN (SELECT seq FROM webhook_deliveries AS d WHERE status = 'pending' AND next_attempt_at <= ?
                              AND (lease_until IS NULL OR lease_until < ?)
                              -- In order per envelope and subscription: an earlier message still
                              -- pending (sending or waiting to retry) holds the later ones back.
                              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries AS e WHERE e.webhook_id = d.webhook_id
                                  AND e.envelope_id = d.envelope_id AND e.status = 'pending' AND e.seq < d.seq)
                              ORDER BY next_attempt_at LIMIT ?)
                RETURNING *
                """, arguments: [lease, real.addingTimeInterval(leaseDuration).storage, now.storage, real.storage, limit])
            return try rows.compactMap { row in
                guard let hook = try Row.fetchOne(db, sql: "SELECT url, secret, format FROM webhooks WHERE id = ?", arguments: [row["webhook_id"] as String]) else { return nil }
                return ClaimedDelivery(delivery: try Self.delivery(row, attempts: []), url: hook["url"], secret: hook["secret"], lease: lease, format: WebhookFormat(rawValue: hook["format"]) ?? .standardWebhooks)
            }
        }
    }

    public func recordAttempt(_ claimed: ClaimedDelivery, attempt: WebhookAttempt, succeeded: Bool, nextAttemptAt: Date?) async throws {
        try await write { db in
            guard let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM webhook_deliveries WHERE id = ? AND lease = ?", arguments: [claimed.delivery.id.rawValue, claimed.lease]) else { return }
            try db.execute(sql: "INSERT INTO webhook_attempts (delivery_seq, at, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?)", arguments: [seq, attempt.at.storage, attempt.statusCode, attempt.error, attempt.durationMs])
            let status: WebhookDelivery.Status = succeeded ? .succeeded : (nextAttemptAt == nil ? .failed : .pending)
            try db.execute(sql: "UPDATE webhook_deliveries SET status = ?, attempt_count = attempt_count + 1, next_attempt_at = ?, lease = NULL, lease_until = NULL WHERE seq = ?", arguments: [status.rawValue, nextAttemptAt?.storage, seq])
        }
    }

    public func deliveries(of webhook: WebhookID, organisation: OrganisationID, limit: Int) async throws -> [WebhookDelivery] {
        try await read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND organisation_id = ? ORDER BY seq DESC LIMIT ?", arguments: [webhook.rawValue, organisation.rawValue, limit])
            return try rows.map { row in
                let attempts = try Row.fetchAll(db, sql: "SELECT * FROM webhook_attempts WHERE delivery_seq = ? ORDER BY at", arguments: [row["seq"] as Int64]).map { attempt in
                    WebhookAttempt(at: attempt.date("at"), statusCode: attempt["status_code"], error: attempt["error"], durationMs: attempt["duration_ms"])
                }
                return try Self.delivery(row, attempts: attempts)
            }
        }
    }

    public func nextDeliveryDue() async throws -> Date? {
        try await read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < ?)", arguments: [Date().storage]).map(Date.init(storage:))
        }
    }

    static func subscription(_ row: Row) throws -> WebhookSubscription {
        WebhookSubscription(
            id: WebhookID(unchecked: row["id"]), organisationID: OrganisationID(unchecked: row["organisation_id"]),
            url: row["url"], description: row["description"], eventTypes: try JSONColumn.decode([EventType].self, row["event_types"]) ?? [],
            secret: row["secret"], createdAt: row.date("created_at"), format: WebhookFormat(rawValue: row["format"]) ?? .standardWebhooks
        )
    }

    static func delivery(_ row: Row, attempts: [WebhookAttempt]) throws -> WebhookDelivery {
        WebhookDelivery(
            id: DeliveryID(unchecked: row["id"]), webhookID: WebhookID(unchecked: row["webhook_id"]),
            organisationID: OrganisationID(unchecked: row["organisation_id"]), eventID: (row["event_id"] as String?).map(EventID.init(unchecked:)),
            eventType: row["event_type"], payload: row["payload"], status: WebhookDelivery.Status(rawValue: row["status"]) ?? .pending,
            attemptCount: row["attempt_count"], nextAttemptAt: row.optionalDate("next_attempt_at"), createdAt: row.date("created_at"),
            attempts: attempts
        )
    }
}
