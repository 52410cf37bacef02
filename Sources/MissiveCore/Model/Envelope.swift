import Foundation

/// The canonical letter: what every ingress produces and the core alone interprets.
/// Document bytes live in the blob store; the envelope only references them.
public struct Envelope: Sendable, Hashable, Codable {
    public var id: EnvelopeID
    /// The verified sender organisation.
    public var organisationID: OrganisationID
    /// The acting principal within the organisation (an API key id or a user).
    public var principal: String
    /// `test` envelopes reach only sandbox channels.
    public var mode: Mode
    public var ingress: Ingress
    /// The ingress's own reference: Idempotency-Key, SOAP clientReference, SMTP Message-ID…
    public var ingressReference: String?
    public var kind: EnvelopeKind
    public var title: String?
    /// The sender's own reference, returned with every status.
    public var reference: String?
    public var recipient: Recipient
    /// The main document first, then attachments.
    public var documents: [DocumentRef]
    public var policy: ChannelPolicy
    public var print: PrintOptions
    public var invoice: InvoiceDetails?
    public var status: EnvelopeStatus
    public var statusReason: Reason?
    /// The channel of the current route, once routed.
    public var channel: Channel?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: EnvelopeID, organisationID: OrganisationID, principal: String, mode: Mode,
        ingress: Ingress, ingressReference: String?, kind: EnvelopeKind, title: String?,
        reference: String?, recipient: Recipient, documents: [DocumentRef], policy: ChannelPolicy,
        print: PrintOptions, invoice: InvoiceDetails?, status: EnvelopeStatus = .accepted,
        statusReason: Reason? = nil, channel: Channel? = nil, createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.organisationID = organisationID
        self.principal = principal
        self.mode = mode
        self.ingress = ingress
        self.ingressReference = ingressReference
        self.kind = kind
        self.title = title
        self.reference = reference
        self.recipient = recipient
        self.documents = documents
        self.policy = policy
        self.print = print
        self.invoice = invoice
        self.status = status
        self.statusReason = statusReason
        self.channel = channel
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// The main document (always present on an accepted envelope).
    public var mainDocument: DocumentRef? { documents.first { $0.role == .main } }
}

/// What kind of mail an envelope holds.
public enum EnvelopeKind: String, Sendable, Hashable, Codable, CaseIterable {
    case letter, invoice, payslip, contract, notice
}

/// Where an envelope came in.
public enum Ingress: String, Sendable, Hashable, Codable, CaseIterable {
    case rest, soap, smtp, mft, web
}

/// Live traffic or test traffic (test keys reach only sandbox channels).
public enum Mode: String, Sendable, Hashable, Codable, CaseIterable {
    case live, test
}

/// A delivery channel.
public enum Channel: String, Sendable, Hashable, Codable, CaseIterable {
    /// The recipient's digital mailbox inside Missive.
    case ePost = "epost"
    /// An e-invoicing network.
    case eBill = "ebill"
    /// Print, envelope and post through a print partner.
    case physical
}

/// A machine-readable reason with a human text (never content or addresses).
public struct Reason: Sendable, Hashable, Codable {
    public var code: String
    public var text: String
    public init(code: String, text: String) {
        self.code = code
        self.text = text
    }
}
