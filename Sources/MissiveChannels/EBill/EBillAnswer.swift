import MissiveCore

/// The eBill network's answer to `POST /v1/bills`:
/// `{"status":"accepted","networkReference":"…"}` or
/// `{"status":"rejected","reason":{"code":"…","text":"…"}}`.
struct EBillAnswer: Codable, Sendable, Hashable {
    /// Whether the network took the bill.
    enum Status: String, Codable, Sendable, Hashable {
        case accepted, rejected
    }

    var status: Status
    /// The network's reference of an accepted bill.
    var networkReference: String?
    /// Why a bill was rejected.
    var reason: Reason?

    /// An accepted bill.
    static func accepted(networkReference: String) -> EBillAnswer {
        EBillAnswer(status: .accepted, networkReference: networkReference, reason: nil)
    }

    /// A rejected bill.
    static func rejected(code: String, text: String) -> EBillAnswer {
        EBillAnswer(status: .rejected, networkReference: nil, reason: Reason(code: code, text: text))
    }
}
