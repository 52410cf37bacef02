import Foundation

/// The body of `POST /v1/bills`: one bill for the eBill network, with its PDF inline.
///
/// Amounts travel as the decimal strings the sender wrote, never as floating point.
struct EBillBill: Codable, Sendable, Hashable {
    /// The PDF of the bill.
    struct Document: Codable, Sendable, Hashable {
        /// Lowercase hex SHA-256 of the PDF bytes.
        var sha256: String
        var byteSize: Int64
        var mediaType: String
        /// The PDF bytes, base64.
        var content: String
    }

    /// The Missive envelope id; the network's idempotency key is the same value.
    var billId: String
    /// The sending organisation.
    var billerId: String
    /// The recipient's eBill id.
    var recipientId: String
    var amount: String
    var currency: String
    var reference: String?
    var iban: String?
    /// `YYYY-MM-DD`.
    var dueDate: String?
    var title: String?
    var document: Document
}
