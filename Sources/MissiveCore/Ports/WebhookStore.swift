import Foundation

/// A subscription of an organisation to status events.
public struct WebhookSubscription: Sendable, Hashable {
    public var id: WebhookID
    public var organisationID: OrganisationID
    public var url: String
    public var description: String?
    /// Empty means every event type.
    public var eventTypes: [EventType]
    /// `whsec_` + base64 key; kept to sign deliveries, shown to the customer once.
    public var secret: String
    public var createdAt: Date

    public init(id: WebhookID, organisationID: OrganisationID, url: String, description: String?, eventTypes: [EventType], secret: String, createdAt: Date) {
        self.id = id
        self.organisationID = organisationID
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.secret = secret
        self.createdAt = createdAt
    }

    public func wants(_ type: EventType) -> Bool { eventTypes.isEmpty || eventTypes.contains(type) }
}

/// One attempt to deliver a webhook message.
public struct WebhookAttempt: Sendable, Hashable {
    public var at: Date
    public var statusCode: Int?
    /// A short, content-free error (e.g. "connection refused", "timeout").
    public var error: String?
    public var durationMs: Int
    public init(at: Date, statusCode: Int?, error: String?, durationMs: Int) {
        self.at = at
        self.statusCode = statusCode
        self.error = error
        self.durationMs = durationMs
    }
}

/// One message to one subscription, with its attempts (the durable outbox).
public struct WebhookDelivery: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable {
        case pending, succeeded, failed
    }

    public var id: DeliveryID
    public var webhookID: WebhookID
    public var organisationID: OrganisationID
    public var eventID: EventID?
    public var eventType: String
    /// The exact JSON body that is signed and sent.
    public var payload: Data
    public var status: Status
    public var attemptCount: Int
    public var nextAttemptAt: Date?
    public var createdAt: Date
    public var attempts: [WebhookAttempt]

    public init(id: DeliveryID, webhookID: WebhookID, organisationID: OrganisationID, eventID: EventID?, eventType: String, payload: Data, status: Status, attemptCount: Int, nextAttemptAt: Date?, createdAt: Date, attempts: [WebhookAttempt]) {
        self.id = id
        self.webhookID = webhookID
        self.organisationID = organisationID
        self.eventID = eventID
        self.eventType = eventType
        self.payload = payload
        self.status = status
        self.attemptCount = attemptCount
        self.nextAttemptAt = nextAttemptAt
        self.createdAt = createdAt
        self.attempts = attempts
    }
}

/// A delivery claimed for sending, with where and how to sign.
public struct ClaimedDelivery: Sendable, Hashable {
    public var delivery: WebhookDelivery
    public var url: String
    public var secret: String
    public var lease: String
    public init(delivery: WebhookDelivery, url: String, secret: String, lease: String) {
        self.delivery = delivery
        self.url = url
        self.secret = secret
        self.lease = lease
    }
}

/// Subscriptions and the webhook outbox. Deliveries for status events are enqueued by the
/// envelope store in the same transaction as the event.
public protocol WebhookStore: Sendable {
    func createSubscription(_ subscription: WebhookSubscription) async throws
    func subscriptions(of organisation: OrganisationID) async throws -> [WebhookSubscription]
    func subscription(_ id: WebhookID, organisation: OrganisationID) async throws -> WebhookSubscription?
    /// Removes the subscription and abandons its pending deliveries; false if unknown.
    func deleteSubscription(_ id: WebhookID, organisation: OrganisationID) async throws -> Bool
    /// Enqueues a message outside the event flow (e.g. `webhook.test`).
    func enqueue(_ delivery: WebhookDelivery) async throws
    /// Claims due pending deliveries.
    func claimDeliveries(limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [ClaimedDelivery]
    /// Records an attempt; `nextAttemptAt` nil with `succeeded == false` means given up.
    func recordAttempt(_ claimed: ClaimedDelivery, attempt: WebhookAttempt, succeeded: Bool, nextAttemptAt: Date?) async throws
    /// Deliveries of one subscription, newest first, with their attempts.
    func deliveries(of webhook: WebhookID, organisation: OrganisationID, limit: Int) async throws -> [WebhookDelivery]
    /// The earliest due pending delivery.
    func nextDeliveryDue() async throws -> Date?
}
