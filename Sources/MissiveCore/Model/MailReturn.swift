import Foundation

/// How status goes back to an SMTP sender (RFC 3461): the return path, what the sender asked
/// to be told (`NOTIFY`), and the references a delivery status notification carries.
public struct MailReturn: Sendable, Hashable, Codable {
    /// The `MAIL FROM` address the notifications go to.
    public var returnPath: String
    /// `NOTIFY` of the recipient: `NEVER`, or any of `SUCCESS`, `FAILURE`, `DELAY`; nil is
    /// the RFC 3461 default (failure and delay).
    public var notify: [String]?
    /// `ENVID` of the transaction.
    public var envelopeID: String?
    /// `RET` (`FULL` or `HDRS`); Missive returns headers only, never the letter.
    public var returnContent: String?
    /// `ORCPT`, e.g. `rfc822;anna@letters.example`.
    public var originalRecipient: String?
    /// The address as received in `RCPT TO`.
    public var finalRecipient: String
    public var messageID: String?
    public var subject: String?
    /// The original header block (at most 16 KiB), returned in `text/rfc822-headers`.
    public var headers: String?
    public var arrivalDate: Date
    /// The hub's name (Reporting-MTA).
    public var reportingMTA: String

    public init(returnPath: String, notify: [String]?, envelopeID: String?, returnContent: String?, originalRecipient: String?, finalRecipient: String, messageID: String?, subject: String?, headers: String?, arrivalDate: Date, reportingMTA: String) {
        self.returnPath = returnPath
        self.notify = notify
        self.envelopeID = envelopeID
        self.returnContent = returnContent
        self.originalRecipient = originalRecipient
        self.finalRecipient = finalRecipient
        self.messageID = messageID
        self.subject = subject
        self.headers = headers
        self.arrivalDate = arrivalDate
        self.reportingMTA = reportingMTA
    }

    /// Whether a status event becomes a notification: failures unless `NOTIFY=NEVER`;
    /// delivery (digital delivery, posting, opening) only with `NOTIFY=SUCCESS`.
    public func wants(_ type: EventType) -> Bool {
        Self.wants(type, notify: notify ?? ["FAILURE", "DELAY"])
    }

    static func wants(_ type: EventType, notify: [String]) -> Bool {
        switch type {
        case .failed, .rejected, .returned: return notify.contains("FAILURE")
        case .delivered, .posted, .consulted: return notify.contains("SUCCESS")
        case .accepted, .routed, .notConsulted, .printed, .cancelled: return false
        }
    }

    /// Event types some `NOTIFY` asks to be told about; no other event needs the return path
    /// to be looked up.
    public static let notifiable: Set<EventType> = Set(EventType.allCases.filter { wants($0, notify: ["SUCCESS", "FAILURE"]) })
}

/// One notification waiting in the durable mail outbox.
public struct OutgoingMail: Sendable, Hashable {
    public var id: DeliveryID
    public var organisationID: OrganisationID
    public var envelopeID: EnvelopeID
    public var event: StatusEvent
    public var mailReturn: MailReturn
    public var attemptCount: Int
    public var lease: String

    public init(id: DeliveryID, organisationID: OrganisationID, envelopeID: EnvelopeID, event: StatusEvent, mailReturn: MailReturn, attemptCount: Int, lease: String) {
        self.id = id
        self.organisationID = organisationID
        self.envelopeID = envelopeID
        self.event = event
        self.mailReturn = mailReturn
        self.attemptCount = attemptCount
        self.lease = lease
    }
}

/// The durable outbox of delivery status notifications; the envelope store enqueues them in
/// the same transaction as the event.
public protocol MailOutbox: Sendable {
    func claimMail(limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [OutgoingMail]
    /// Records an attempt; `nextAttemptAt` nil with `sent == false` means given up.
    func recordMailAttempt(_ mail: OutgoingMail, sent: Bool, error: String?, nextAttemptAt: Date?) async throws
    func nextMailDue() async throws -> Date?
}
