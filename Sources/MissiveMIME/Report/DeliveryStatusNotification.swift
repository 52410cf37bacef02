import Foundation

/// A delivery status notification (RFC 3464) in a `multipart/report` message (RFC 6522):
/// a human-readable text part, a `message/delivery-status` part, and optionally the
/// original message's headers as `text/rfc822-headers` (DSN `RET=HDRS`; the full content is
/// never returned). ``render()`` writes the complete RFC 5322 message.
public struct DeliveryStatusNotification: Sendable, Equatable {
    /// The per-recipient fields of RFC 3464 §2.3.
    public struct RecipientStatus: Sendable, Equatable {
        /// RFC 3464 §2.3.3.
        public enum Action: String, Sendable, Equatable, CaseIterable {
            case failed, delayed, delivered, relayed, expanded
        }

        /// `Original-Recipient`, from the ORCPT parameter: address type, `;`, address (for
        /// example "rfc822;a@b.ch"), xtext already decoded.
        public var originalRecipient: String?
        /// `Final-Recipient`, for example "rfc822;x@y".
        public var finalRecipient: String
        /// `Action`: what happened to the message for this recipient.
        public var action: Action
        /// The enhanced status code (RFC 3463), for example "5.1.1" or "2.0.0".
        public var status: String
        /// `Diagnostic-Code`: diagnostic type, `;`, text (for example "smtp; 550 5.1.1 …" or
        /// "x-missive; returned: Adressat unbekannt").
        public var diagnosticCode: String?
        /// `Last-Attempt-Date`: the last delivery attempt, if any.
        public var lastAttemptDate: Date?

        /// The fields for one recipient.
        public init(
            originalRecipient: String? = nil, finalRecipient: String, action: Action, status: String,
            diagnosticCode: String? = nil, lastAttemptDate: Date? = nil
        ) {
            self.originalRecipient = originalRecipient
            self.finalRecipient = finalRecipient
            self.action = action
            self.status = status
            self.diagnosticCode = diagnosticCode
            self.lastAttemptDate = lastAttemptDate
        }
    }

    /// `Reporting-MTA`, for example "dns; missive.example".
    public var reportingMTA: String
    /// The notification's `From`, for example "MAILER-DAEMON@missive.example".
    public var from: String
    /// The original message's sender (its reverse-path).
    public var to: String
    /// `Original-Envelope-Id`: the ENVID parameter, xtext already decoded.
    public var originalEnvelopeID: String?
    /// `Arrival-Date`: when the original message was received.
    public var arrivalDate: Date
    /// The notification's `Subject` (any Unicode; RFC 2047-encoded when needed).
    public var subject: String
    /// The text for people (any Unicode; sent as UTF-8).
    public var humanReadable: String
    /// One group of per-recipient fields each, in order.
    public var recipients: [RecipientStatus]
    /// The original message's header block, returned as `text/rfc822-headers`.
    public var originalHeaders: String?
    /// The notification's Message-ID (with or without angle brackets).
    public var messageID: String
    /// The notification's `Date`.
    public var date: Date

    /// A notification; see the properties for each field's meaning.
    public init(
        reportingMTA: String, from: String, to: String, originalEnvelopeID: String? = nil, arrivalDate: Date,
        subject: String, humanReadable: String, recipients: [RecipientStatus], originalHeaders: String? = nil,
        messageID: String, date: Date
    ) {
        self.reportingMTA = reportingMTA
        self.from = from
        self.to = to
        self.originalEnvelopeID = originalEnvelopeID
        self.arrivalDate = arrivalDate
        self.subject = subject
        self.humanReadable = humanReadable
        self.recipients = recipients
        self.originalHeaders = originalHeaders
        self.messageID = messageID
        self.date = date
    }
}
