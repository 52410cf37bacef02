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
        /// Printed and enveloped.
        case printed
        /// Handed to the postal network.
        case posted
        /// Came back undeliverable.
        case returned

        /// The status event this report records.
        public var eventType: EventType {
            switch self {
            case .printed: .printed
            case .posted: .posted
            case .returned: .returned
            }
        }
    }

    /// The envelope (= print job) reported on.
    public var envelopeId: EnvelopeID
    /// What happened.
    public var status: Status
    /// When it happened, by the partner's clock (RFC 3339).
    public var at: Date
    /// Why, for `returned` (e.g. `addressee_unknown`).
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
