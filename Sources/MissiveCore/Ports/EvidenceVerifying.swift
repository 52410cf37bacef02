import Foundation

/// The outcome of checking evidence: every check with what it found, so a failure says why.
public struct EvidenceVerificationReport: Sendable, Hashable {
    public struct Check: Sendable, Hashable {
        public enum Name: String, Sendable, Hashable {
            /// The seal covers exactly the given bytes and its signature verifies.
            case seal
            /// The seal certificate chains to the trust anchor.
            case certificate
            /// The signature time-stamp (CAdES-B-T) verifies and covers the signature.
            case timestamp
            /// The sealed bytes are a Missive evidence record.
            case record
            /// The document is the one the record (or the document seal) covers.
            case document
        }

        public var name: Name
        public var passed: Bool
        public var detail: String

        public init(_ name: Name, passed: Bool, _ detail: String) {
            self.name = name
            self.passed = passed
            self.detail = detail
        }
    }

    public var checks: [Check]
    /// The record, when one was given and it parsed.
    public var record: EvidenceRecord?
    /// The seal certificate's subject.
    public var sealedBy: String?
    public var signingTime: Date?
    public var timeStampTime: Date?
    /// Lowercase hex SHA-256 of the document checked, if any.
    public var documentSHA256: String?

    /// True when there are checks and every one passed.
    public var isValid: Bool { !checks.isEmpty && checks.allSatisfy(\.passed) }

    public init(checks: [Check] = [], record: EvidenceRecord? = nil, sealedBy: String? = nil, signingTime: Date? = nil, timeStampTime: Date? = nil, documentSHA256: String? = nil) {
        self.checks = checks
        self.record = record
        self.sealedBy = sealedBy
        self.signingTime = signingTime
        self.timeStampTime = timeStampTime
        self.documentSHA256 = documentSHA256
    }
}

/// Checks seals against the operator's trust anchor, offline.
public protocol EvidenceVerifying: Sendable {
    /// Checks `seal` over `record` (when given) or over the document (when no record), and
    /// that the document (its SHA-256, 32 bytes) is the one covered.
    func verify(record: Data?, seal: Data, documentSHA256: [UInt8]?) async -> EvidenceVerificationReport
}
