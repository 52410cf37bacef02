import Foundation

/// Seals evidence records: a detached CAdES signature (DER `.p7s`) by the operator's seal,
/// timestamped where the sealer can (CAdES-B-T).
public protocol EvidenceSealer: Sendable {
    func seal(_ content: Data, at: Date) async throws -> Data
    /// Seals a document known by its SHA-256 (32 bytes), taken on arrival: the stored
    /// (encrypted) document is not read again.
    func seal(sha256: [UInt8], at: Date) async throws -> Data
}

/// A sealed evidence record as stored.
public struct StoredEvidence: Sendable, Hashable {
    public var record: EvidenceRecord
    /// The exact bytes that were sealed (the record's canonical JSON).
    public var canonical: Data
    /// The detached signature over ``canonical``.
    public var seal: Data
    public var sealedAt: Date
    /// For `SubmissionAcceptance`: a detached seal over each document, in the order of
    /// ``EvidenceRecord/documents``; empty for other events.
    public var documentSeals: [Data]

    public init(record: EvidenceRecord, canonical: Data, seal: Data, sealedAt: Date, documentSeals: [Data] = []) {
        self.record = record
        self.canonical = canonical
        self.seal = seal
        self.sealedAt = sealedAt
        self.documentSeals = documentSeals
    }
}

/// An event whose evidence is still to be issued (queued in the event's transaction).
public struct PendingEvidence: Sendable, Hashable {
    public var eventID: EventID
    public var envelopeID: EnvelopeID
    public var organisationID: OrganisationID
    public var attempts: Int
    public var lease: String

    public init(eventID: EventID, envelopeID: EnvelopeID, organisationID: OrganisationID, attempts: Int, lease: String) {
        self.eventID = eventID
        self.envelopeID = envelopeID
        self.organisationID = organisationID
        self.attempts = attempts
        self.lease = lease
    }
}

/// Evidence records and the durable queue of events waiting for theirs.
public protocol EvidenceStore: Sendable {
    func claimEvidence(limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [PendingEvidence]
    /// Stores sealed records and takes their events off the queue, all in one transaction (one
    /// fsync for the batch: sealing is cheap next to a commit).
    func storeEvidence(_ batch: [(evidence: StoredEvidence, pending: PendingEvidence)]) async throws
    func retryEvidence(_ pending: PendingEvidence, at: Date, error: String) async throws
    /// Takes events off the queue that need no evidence (or get none: evidence off).
    func discardEvidence(_ batch: [PendingEvidence]) async throws
    func nextEvidenceDue() async throws -> Date?
    /// An envelope's records, oldest first, if the envelope is the organisation's.
    func evidence(of envelope: EnvelopeID, organisation: OrganisationID) async throws -> [StoredEvidence]
    func evidence(_ id: EvidenceID, organisation: OrganisationID) async throws -> StoredEvidence?
}

extension EvidenceStore {
    /// Stores one sealed record and takes its event off the queue.
    public func storeEvidence(_ evidence: StoredEvidence, for pending: PendingEvidence) async throws {
        try await storeEvidence([(evidence, pending)])
    }

    /// Takes one event off the queue.
    public func discardEvidence(_ pending: PendingEvidence) async throws {
        try await discardEvidence([pending])
    }
}
