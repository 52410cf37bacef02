import Crypto
import Foundation

/// What an ingress adapter hands to the core after translating its wire format: every
/// field of the envelope the sender chose, and documents already durable in the blob store.
public struct EnvelopeDraft: Sendable, Hashable, Codable {
    public var ingress: Ingress
    /// Idempotency-Key, SOAP clientReference, SMTP Message-ID…; optional.
    public var ingressReference: String?
    public var kind: EnvelopeKind
    public var title: String?
    public var reference: String?
    public var recipient: Recipient
    public var documents: [DocumentRef]
    public var policy: ChannelPolicy
    public var print: PrintOptions
    public var invoice: InvoiceDetails?
    /// SMTP: where delivery status notifications go (not part of the fingerprint).
    public var mailReturn: MailReturn?

    public init(ingress: Ingress, ingressReference: String? = nil, kind: EnvelopeKind = .letter, title: String? = nil, reference: String? = nil, recipient: Recipient, documents: [DocumentRef], policy: ChannelPolicy = ChannelPolicy(), print: PrintOptions = PrintOptions(), invoice: InvoiceDetails? = nil, mailReturn: MailReturn? = nil) {
        self.mailReturn = mailReturn
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
    }

    /// A digest of everything the sender chose (not the ingress reference, not where the
    /// blobs are stored): the same request gives the same fingerprint on every ingress.
    public var fingerprint: String {
        var copy = self
        copy.ingressReference = nil
        copy.mailReturn = nil
        copy.documents = documents.map { document in
            var document = document
            document.storageKey = ""
            return document
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        let data = (try? encoder.encode(copy)) ?? Data()
        return SHA256.hash(data: data).hex
    }

    /// Checks everything that does not need the directory.
    public func validate() throws(MissiveError) {
        try recipient.validate()
        guard documents.count(where: { $0.role == .main }) == 1 else {
            throw MissiveError(.invalidRequest, "Exactly one main document is required.", pointer: "document")
        }
        if let title, title.unicodeScalars.count > 200 || title.hasControlCharacters {
            throw MissiveError(.invalidField, "title must be one line of at most 200 characters.", pointer: "/title")
        }
        if let reference, reference.unicodeScalars.count > 100 || reference.hasControlCharacters {
            throw MissiveError(.invalidField, "reference is longer than 100 characters.", pointer: "/reference")
        }
        if let days = policy.printIfNotConsultedAfterDays, !(1...60).contains(days) {
            throw MissiveError(.invalidField, "printIfNotConsultedAfterDays must be 1 to 60.", pointer: "/policy/printIfNotConsultedAfterDays")
        }
        if policy.mode == .physicalOnly, policy.printIfNotConsultedAfterDays != nil {
            throw MissiveError(.invalidField, "printIfNotConsultedAfterDays needs a digital delivery first.", pointer: "/policy/printIfNotConsultedAfterDays")
        }
        if let invoice {
            guard invoice.currency == "CHF" || invoice.currency == "EUR" else {
                throw MissiveError(.invalidField, "currency must be CHF or EUR.", pointer: "/invoice/currency")
            }
            guard invoice.amount.wholeMatch(of: /[0-9]{1,9}(\.[0-9]{2})?/) != nil else {
                throw MissiveError(.invalidField, "amount must be a positive decimal with two decimals, e.g. 120.50.", pointer: "/invoice/amount")
            }
            if let reference = invoice.reference, reference.unicodeScalars.count > 35 || reference.hasControlCharacters {
                throw MissiveError(.invalidField, "reference is longer than 35 characters.", pointer: "/invoice/reference")
            }
            if let iban = invoice.iban, iban.wholeMatch(of: /[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}/) == nil {
                throw MissiveError(.invalidField, "iban must be an IBAN without spaces.", pointer: "/invoice/iban")
            }
            if let due = invoice.dueDate, due.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}/) == nil {
                throw MissiveError(.invalidField, "dueDate must be YYYY-MM-DD.", pointer: "/invoice/dueDate")
            }
        }
    }
}
