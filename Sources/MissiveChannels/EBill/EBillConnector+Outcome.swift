import Foundation
import MissiveCore
import NIOCore

extension EBillConnector {
    /// Maps the network's HTTP answer to a delivery outcome, or throws `channelUnavailable`
    /// for answers that mean "try again later". Pure: no I/O.
    static func outcome(status: Int, body: ByteBuffer) throws -> DeliveryOutcome {
        let answer = try? ChannelJSON.decoder().decode(EBillAnswer.self, from: Data(body.readableBytesView))
        switch status {
        case 200, 201, 202:
            guard let answer else {
                throw MissiveError(.channelUnavailable, "The eBill network answered \(status) without a readable answer.")
            }
            switch answer.status {
            case .accepted:
                guard let reference = answer.networkReference, !reference.isEmpty else {
                    throw MissiveError(.channelUnavailable, "The eBill network accepted the bill without a network reference.")
                }
                return .delivered(detail: ["networkReference": reference])
            case .rejected:
                return .refused(refusal(answer.reason, status: status))
            }
        case 408, 429:
            throw MissiveError(.channelUnavailable, "The eBill network asked to try again later (HTTP \(status)).")
        case 400..<500:
            return .refused(refusal(answer?.reason, status: status))
        case 500..<600:
            throw MissiveError(.channelUnavailable, "The eBill network failed (HTTP \(status)).")
        default:
            throw MissiveError(.channelUnavailable, "The eBill network answered an unexpected HTTP \(status).")
        }
    }

    /// The network's own reason (bounded in size), or a generic `ebill_rejected`.
    private static func refusal(_ reason: Reason?, status: Int) -> Reason {
        guard let reason, !reason.code.isEmpty else {
            return Reason(code: "ebill_rejected", text: "The eBill network rejected the bill (HTTP \(status)).")
        }
        return Reason(code: String(reason.code.prefix(64)), text: String(reason.text.prefix(500)))
    }
}
