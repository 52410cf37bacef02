import Foundation
import MissiveCore
import Synchronization

/// The sandbox eBill network's books: decides each bill by the sandbox rules and remembers
/// every answer under its idempotency key. Pure bookkeeping, no sockets.
///
/// Rules: a recipient id ending in `99` is unknown (422 `recipient_unknown`); every other
/// well-formed bill is accepted (201, `networkReference` `EB-…`); a malformed one gets 400
/// and is not remembered. A repeated idempotency key gets the first answer again.
final class SandboxEBillLedger: Sendable {
    /// One answer with its HTTP status.
    struct Reply: Sendable, Hashable {
        var status: Int
        var answer: EBillAnswer
    }

    private struct State {
        var replies: [String: Reply] = [:]
        /// Accepted bills by network reference, without their documents' content.
        var accepted: [String: EBillBill] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// The number of distinct bills accepted so far.
    var acceptedCount: Int { state.withLock { $0.accepted.count } }

    /// The accepted bill with this network reference (its document content emptied).
    func acceptedBill(_ networkReference: String) -> EBillBill? {
        state.withLock { $0.accepted[networkReference] }
    }

    /// Decides a submitted body. `idempotencyKey` falls back to the bill id.
    func receive(_ body: Data, idempotencyKey: String?) -> Reply {
        guard var bill = try? ChannelJSON.decoder().decode(EBillBill.self, from: body) else {
            return Reply(status: 400, answer: .rejected(code: "malformed_request", text: "The body is not a bill."))
        }
        guard let content = Data(base64Encoded: bill.document.content), Int64(content.count) == bill.document.byteSize,
              !bill.recipientId.isEmpty, !bill.billId.isEmpty
        else {
            return Reply(status: 400, answer: .rejected(code: "malformed_request", text: "The bill's document or ids are invalid."))
        }
        let key = idempotencyKey ?? bill.billId
        bill.document.content = ""
        return state.withLock { state in
            if let earlier = state.replies[key] { return earlier }
            let reply: Reply
            if bill.recipientId.hasSuffix("99") {
                reply = Reply(status: 422, answer: .rejected(code: "recipient_unknown", text: "No eBill recipient is registered under this id."))
            } else {
                let reference = Self.makeNetworkReference()
                state.accepted[reference] = bill
                reply = Reply(status: 201, answer: .accepted(networkReference: reference))
            }
            state.replies[key] = reply
            return reply
        }
    }

    /// `EB-` followed by 16 random base32 characters.
    static func makeNetworkReference() -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var generator = SystemRandomNumberGenerator()
        return "EB-" + String((0..<16).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
