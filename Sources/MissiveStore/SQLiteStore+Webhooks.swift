import Foundation
import GRDB
import MissiveCore

extension SQLiteStore: WebhookStore {
    public func createSubscription(_ subscription: WebhookSubscription) async throws {
        let sealed = try sealer.seal(subscription.secret, context: subscription.id.rawValue)
        try await write { db in try Self.insert(subscription, sealed: sealed, db) }
    }

    public func replaceSubscriptions(in formats: [WebhookFormat], with subscription: WebhookSubscription) async throws {
        let sealed = try sealer.seal(subscription.secret, context: subscription.id.rawValue)
        try await write { db in
            for format in formats {
                try db.cachedStatement(sql: "DELETE FROM webhooks WHERE organisation_id = ? AND format = ?").execute(arguments: [subscription.organisationID.rawValue, format.rawValue])
            }
            try Self.insert(subscription, sealed: sealed, db)
        }
    }

    /// The signing secret is stored sealed under the operator's secrets key (bound to the
    /// subscription id); the clear-text column stays empty.
    static func insert(_ subscription: WebhookSubscription, sealed: Data, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO webhooks (id, organisation_id, url, description, event_types, inbox_event_types, secret, secret_sealed, created_at, format) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?)").execute(arguments: [
            subscription.id.rawValue, subscription.organisationID.rawValue, subscription.url, subscription.description,
            try JSONColumn.encode(subscription.eventTypes), try JSONColumn.encode(subscription.inboxEventTypes),
            sealed, subscription.createdAt.storage, subscription.format.rawValue,
        ])
    }

    /// Seals the signing secrets of subscriptions made before secrets were sealed (v7), so
    /// no clear-text secret stays in the database. Returns how many were sealed.
    @discardableResult
    public func sealClearWebhookSecrets() async throws -> Int {
        let clear = try await read { db in
            try Row.fetchAll(db, sql: "SELECT id, secret FROM webhooks WHERE secret_sealed IS NULL").map { ($0["id"] as String, $0["secret"] as String) }
        }
        let sealed = try clear.map { ($0.0, try sealer.seal($0.1, context: $0.0)) }
        guard !sealed.isEmpty else { return 0 }
        try await write { db in
            for (id, data) in sealed {
                try db.cachedStatement(sql: "UPDATE webhooks SET secret = '', secret_sealed = ? WHERE id = ? AND secret_sealed IS NULL").execute(arguments: [data, id])
            }
        }
        return sealed.count
    }

    /// The signing secret of a subscription row (sealed, or clear for rows not yet sealed).
    func secret(_ row: Row) throws -> String {
        guard let sealed = row["secret_sealed"] as Data? else { return row["secret"] }
        guard let secret = sealer.open(sealed, context: row["id"]) else {
            throw MissiveError(.unavailable, "A webhook's signing secret does not open with this secrets key.")
        }
        return secret
    }

    public func subscriptions(of organisation: OrganisationID) async throws -> [WebhookSubscription] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM webhooks WHERE organisation_id = ? ORDER BY id"), arguments: [organisation.rawValue]).map(self.subscriptionValue)
        }
    }

    public func subscription(_ id: WebhookID, organisation: OrganisationID) async throws -> WebhookSubscription? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM webhooks WHERE id = ? AND organisation_id = ?"), arguments: [id.rawValue, organisation.rawValue]).map(self.subscriptionValue)
        }
    }

    public func deleteSubscription(_ id: WebhookID, organisation: OrganisationID) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "DELETE FROM webhooks WHERE id = ? AND organisation_id = ?").execute(arguments: [id.rawValue, organisation.rawValue])
            return db.changesCount == 1
        }
    }

    public func enqueue(_ delivery: WebhookDelivery) async throws {
        try await write { db in
            try Self.insertDelivery(
                id: delivery.id, webhook: delivery.webhookID.rawValue, organisation: delivery.organisationID.rawValue, event: delivery.eventID,
                envelope: nil, type: delivery.eventType, payload: delivery.payload, due: delivery.nextAttemptAt ?? delivery.createdAt, createdAt: delivery.createdAt, db
            )
        }
    }

    /// Queues one webhook message (pending, due at `due`) in the caller's transaction.
    static func insertDelivery(
        id: DeliveryID, webhook: String, organisation: String, event: EventID?, envelope: EnvelopeID?,
        type: String, payload: Data, due: Date, createdAt: Date, _ db: Database
    ) throws {
        try db.cachedStatement(sql: """
            INSERT INTO webhook_deliveries (id, webhook_id, organisation_id, event_id, envelope_id, event_type, payload, status, next_attempt_at, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
            """).execute(arguments: [id.rawValue, webhook, organisation, event?.rawValue, envelope?.rawValue, type, payload, due.storage, createdAt.storage])
    }

    public func claimDeliveries(limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [ClaimedDelivery] {
        let lease = UUID().uuidString
        let real = Date()
        return try await write { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                UPDATE webhook_deliveries SET lease = ?, lease_until = ?
                WHERE seq IN (SELECT seq FROM webhook_deliveries AS d WHERE status = 'pending' AND next_attempt_at <= ?
                              AND (lease_until IS NULL OR lease_until < ?)
                              -- In order per envelope and subscription: an earlier message still
                              -- pending (sending or waiting to retry) holds the later ones back.
                              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries AS e WHERE e.webhook_id = d.webhook_id
                                  AND e.envelope_id = d.envelope_id AND e.status = 'pending' AND e.seq < d.seq)
                              ORDER BY next_attempt_at LIMIT ?)
                RETURNING *
                """), arguments: [lease, real.addingTimeInterval(leaseDuration).storage, now.storage, real.storage, limit])
            return try rows.compactMap { row in
                guard let hook = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, url, secret, secret_sealed, format FROM webhooks WHERE id = ?"), arguments: [row["webhook_id"] as String]) else { return nil }
                return ClaimedDelivery(delivery: try Self.delivery(row, attempts: []), url: hook["url"], secret: try self.secret(hook), lease: lease, format: WebhookFormat(rawValue: hook["format"]) ?? .standardWebhooks)
            }
        }
    }

    public func recordAttempt(_ claimed: ClaimedDelivery, attempt: WebhookAttempt, succeeded: Bool, nextAttemptAt: Date?) async throws {
        try await write { db in
            guard let seq = try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM webhook_deliveries WHERE id = ? AND lease = ?"), arguments: [claimed.delivery.id.rawValue, claimed.lease]) else { return }
            try db.cachedStatement(sql: "INSERT INTO webhook_attempts (delivery_seq, at, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?)").execute(arguments: [seq, attempt.at.storage, attempt.statusCode, attempt.error, attempt.durationMs])
            let status: WebhookDelivery.Status = succeeded ? .succeeded : (nextAttemptAt == nil ? .failed : .pending)
            try db.cachedStatement(sql: "UPDATE webhook_deliveries SET status = ?, attempt_count = attempt_count + 1, next_attempt_at = ?, lease = NULL, lease_until = NULL WHERE seq = ?").execute(arguments: [status.rawValue, nextAttemptAt?.storage, seq])
        }
    }

    public func deliveries(of webhook: WebhookID, organisation: OrganisationID, limit: Int) async throws -> [WebhookDelivery] {
        try await read { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND organisation_id = ? ORDER BY seq DESC LIMIT ?"), arguments: [webhook.rawValue, organisation.rawValue, limit])
            return try rows.map { row in
                let attempts = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM webhook_attempts WHERE delivery_seq = ? ORDER BY at"), arguments: [row["seq"] as Int64]).map { attempt in
                    WebhookAttempt(at: attempt.date("at"), statusCode: attempt["status_code"], error: attempt["error"], durationMs: attempt["duration_ms"])
                }
                return try Self.delivery(row, attempts: attempts)
            }
        }
    }

    public func nextDeliveryDue() async throws -> Date? {
        try await read { db in
            try Double.fetchOne(db.cachedStatement(sql: "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < ?)"), arguments: [Date().storage]).map(Date.init(storage:))
        }
    }

    func subscriptionValue(_ row: Row) throws -> WebhookSubscription {
        WebhookSubscription(
            id: WebhookID(unchecked: row["id"]), organisationID: OrganisationID(unchecked: row["organisation_id"]),
            url: row["url"], description: row["description"], eventTypes: try JSONColumn.decode([EventType].self, row["event_types"]) ?? [],
            secret: try secret(row), createdAt: row.date("created_at"), format: WebhookFormat(rawValue: row["format"]) ?? .standardWebhooks,
            inboxEventTypes: try JSONColumn.decode([InboxEventType].self, row["inbox_event_types"]) ?? []
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
