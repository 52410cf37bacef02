import Foundation

/// How messages to a subscription are written.
public enum WebhookFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// JSON signed per Standard Webhooks (the default).
    case standardWebhooks = "standard-webhooks"
    /// A SOAP 1.1 `StatusNotification` (the SOAP adapter's status callback), signed the same way.
    case soap11 = "soap-1.1"
    /// A SOAP 1.2 `StatusNotification`.
    case soap12 = "soap-1.2"
}

/// A subscription of an organisation to status events.
public struct WebhookSubscription: Sendable, Hashable {
    public var id: WebhookID
    public var organisationID: OrganisationID
    public var url: String
    public var description: String?
    /// The status events it wants; empty (with no inbox events either) means every one.
    public var eventTypes: [EventType]
    /// The business inbox events it wants (`letter.received`); only those listed.
    public var inboxEventTypes: [InboxEventType]
    /// `whsec_` + base64 key; kept to sign deliveries, shown to the customer once.
    public var secret: String
    public var createdAt: Date
    public var format: WebhookFormat

    public init(id: WebhookID, organisationID: OrganisationID, url: String, description: String?, eventTypes: [EventType], secret: String, createdAt: Date, format: WebhookFormat = .standardWebhooks, inboxEventTypes: [InboxEventType] = []) {
        self.format = format
        self.inboxEventTypes = inboxEventTypes
        self.id = id
        self.organisationID = organisationID
        self.url = url
        self.description = description
        self.eventTypes = eventTypes
        self.secret = secret
        self.createdAt = createdAt
    }

    /// Whether it wants a status event: listed, or nothing listed at all.
    public func wants(_ type: EventType) -> Bool {
        Self.wantsStatusEvent(type, eventTypes: eventTypes, inboxEventTypes: inboxEventTypes)
    }

    /// The rule, for stores that filter rows: a subscription that lists only inbox events
    /// (`["letter.received"]`) wants no status event.
    public static func wantsStatusEvent(_ type: EventType, eventTypes: [EventType], inboxEventTypes: [InboxEventType]) -> Bool {
        eventTypes.contains(type) || (eventTypes.isEmpty && inboxEventTypes.isEmpty)
    }

    /// A new signing secret: `whsec_` + base64 of 32 random bytes.
    public static func mintSecret() -> String {
        var key = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in key.indices { key[index] = generator.next() }
        return "whsec_" + Data(key).base64EncodedString()
    }

    /// Checks a receiver URL: absolute http(s), a host, no credentials in it, at most 2048
    /// characters; plain `http` only where the operator allows it (always in sandbox).
    public static func checkURL(_ raw: String, allowPlainHTTP: Bool, pointer: String = "/url") throws(MissiveError) {
        guard raw.count <= 2048, let url = URL(string: raw), let scheme = url.scheme?.lowercased(),
              let host = url.host, !host.isEmpty, url.user == nil
        else { throw MissiveError(.invalidField, "url must be an absolute http(s) URL.", pointer: pointer) }
        guard scheme == "https" || (scheme == "http" && allowPlainHTTP) else {
            throw MissiveError(.invalidField, allowPlainHTTP ? "url must use http or https." : "url must use https.", pointer: pointer)
        }
    }
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
    public var format: WebhookFormat
    public init(delivery: WebhookDelivery, url: String, secret: String, lease: String, format: WebhookFormat = .standardWebhooks) {
        self.format = format
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
    /// Replaces the organisation's subscriptions in `formats` with `subscription` in one
    /// transaction (the SOAP status callback: one per sender).
    func replaceSubscriptions(in formats: [WebhookFormat], with subscription: WebhookSubscription) async throws
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
