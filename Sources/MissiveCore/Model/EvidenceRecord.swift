import Foundation

/// Proof of one event in a letter's life (DESIGN §4): what happened (named as in
/// ETSI EN 319 522), to which envelope, when, between whom, and the SHA-256 of every
/// document. Its canonical JSON (``canonicalJSON``) is what the operator's seal signs, so the
/// same record always gives the same bytes.
public struct EvidenceRecord: Sendable, Hashable, Codable {
    /// ETSI EN 319 522-1 event names.
    public enum Event: String, Sendable, Hashable, Codable, CaseIterable {
        /// The letter was accepted (`accepted`).
        case submissionAcceptance = "SubmissionAcceptance"
        /// The letter was refused at submission (e.g. malware).
        case submissionRejection = "SubmissionRejection"
        /// The letter reached the recipient's mailbox or eBill, or was handed to the post.
        case contentConsignment = "ContentConsignment"
        /// The recipient opened the letter (`consulted`).
        case contentHandover = "ContentHandover"
        /// The letter stayed unopened for the legal period (`not_consulted`).
        case contentHandoverFailure = "ContentHandoverFailure"

        /// The evidence event for a status event, if it is one the law cares about.
        public init?(_ status: EnvelopeStatus) {
            switch status {
            case .accepted: self = .submissionAcceptance
            case .rejected: self = .submissionRejection
            case .delivered, .posted: self = .contentConsignment
            case .consulted: self = .contentHandover
            case .notConsulted: self = .contentHandoverFailure
            case .routed, .printed, .returned, .failed, .cancelled: return nil
            }
        }
    }

    /// Who a party is, as far as the record needs to say.
    public struct Party: Sendable, Hashable, Codable {
        /// `org_…` for a sender, the directory's id (`rcp_…`) for a recipient when known.
        public var id: String?
        public var name: String?
        /// How the sender addressed the recipient: `epost:…`, `uid:…`, `ebill:…` or
        /// `postal:<name>, <postcode> <town>`.
        public var address: String?

        public init(id: String? = nil, name: String? = nil, address: String? = nil) {
            self.id = id
            self.name = name
            self.address = address
        }
    }

    /// A document the record covers.
    public struct Document: Sendable, Hashable, Codable {
        public var role: String
        public var sha256: String
        public var byteSize: Int64
        public init(role: String, sha256: String, byteSize: Int64) {
            self.role = role
            self.sha256 = sha256
            self.byteSize = byteSize
        }
    }

    public var version: Int
    public var evidenceId: EvidenceID
    public var event: Event
    public var envelopeId: EnvelopeID
    /// The status event the record proves (`evt_…`).
    public var eventId: EventID
    public var eventTime: Date
    /// The operator that issues and seals the record.
    public var issuer: String
    public var sender: Party
    public var recipient: Party
    public var channel: Channel?
    public var documents: [Document]
    public var reason: Reason?

    public init(evidenceId: EvidenceID = .generate(), event: Event, envelopeId: EnvelopeID, eventId: EventID, eventTime: Date, issuer: String, sender: Party, recipient: Party, channel: Channel?, documents: [Document], reason: Reason?) {
        self.version = 1
        self.evidenceId = evidenceId
        self.event = event
        self.envelopeId = envelopeId
        self.eventId = eventId
        // Milliseconds, as written: the record reads back to the same value.
        self.eventTime = Date(timeIntervalSince1970: (eventTime.timeIntervalSince1970 * 1000).rounded() / 1000)
        self.issuer = issuer
        self.sender = sender
        self.recipient = recipient
        self.channel = channel
        self.documents = documents
        self.reason = reason
    }

    /// The record for a status event of an envelope; nil for events that need none.
    public init?(for event: StatusEvent, of envelope: Envelope, senderName: String?, recipientID: String?, issuer: String) {
        guard let kind = Event(event.type) else { return nil }
        self.init(
            evidenceId: .generate(at: event.at), event: kind, envelopeId: envelope.id, eventId: event.id, eventTime: event.at, issuer: issuer,
            sender: Party(id: envelope.organisationID.rawValue, name: senderName),
            recipient: Party(id: recipientID, address: Self.address(envelope.recipient)),
            channel: event.channel ?? (kind == .submissionAcceptance ? nil : envelope.channel),
            documents: envelope.documents.map { Document(role: $0.role.rawValue, sha256: $0.sha256, byteSize: $0.byteSize) },
            reason: event.reason
        )
    }

    /// How the recipient was addressed, without more personal data than needed.
    static func address(_ recipient: Recipient) -> String? {
        if let address = recipient.ePostAddress { return "epost:\(address)" }
        if let uid = recipient.uid { return "uid:\(uid)" }
        if let id = recipient.eBillID { return "ebill:\(id)" }
        if let postal = recipient.postal { return "postal:\(postal.name), \(postal.postcode) \(postal.town)" }
        return nil
    }

    /// The bytes the seal signs: JSON with sorted keys, RFC 3339 times in UTC with
    /// milliseconds, no insignificant white space.
    public var canonicalJSON: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.string(date))
        }
        return (try? encoder.encode(self)) ?? Data()
    }

    /// Reads a record from its canonical JSON.
    public static func decode(_ data: Data) throws -> EvidenceRecord {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "Not an RFC 3339 date-time."))
            }
            return date
        }
        return try decoder.decode(EvidenceRecord.self, from: data)
    }
}
