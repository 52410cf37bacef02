import Foundation
import MissiveCore

/// A status report the print partner drops into the spool's `status/` folder:
///
/// ```json
/// {"envelopeId": "env_…", "status": "returned", "at": "2025-01-31T12:00:00Z",
///  "reason": {"code": "addressee_unknown", "text": "…"}, "detail": {"trackingId": "…"}}
/// ```
///
/// `reason` and `detail` are optional. File names sort in the order the partner wrote them.
public struct PartnerStatusReport: Codable, Sendable, Hashable {
    /// What happened to the letter.
    public enum Status: String, Codable, Sendable, Hashable, CaseIterable {
        case printed, posted, returned

        /// The status event this report records.
        public var eventType: EventType {
            switch self {
            case .printed: .printed
            case .posted: .posted
            case .returned: .returned
            }
        }
    }

    public var envelopeId: EnvelopeID
    public var status: Status
    /// When it happened, by the partner's clock (RFC 3339).
    public var at: Date
    public var reason: Reason?
    /// The partner's own references (never content).
    public var detail: [String: String]?

    /// Creates a report.
    public init(envelopeId: EnvelopeID, status: Status, at: Date, reason: Reason? = nil, detail: [String: String]? = nil) {
        self.envelopeId = envelopeId
        self.status = status
        self.at = at
        self.reason = reason
        self.detail = detail
    }
}
