import Foundation
import MissiveEvidence
import SwiftASN1

/// The RFC 3161 `TimeStampReq` decoder behind Missive's TSA endpoint:
/// ``TimeStampAuthority/respond(to:at:)`` with a sandbox key, as `POST /tsa` calls it.
///
/// Promises checked: `respond` answers every input with a DER `TimeStampResp`; its status is
/// `granted` (with a token) only for a request that decodes, and never `systemFailure` (which
/// is kept for key and clock trouble, not for what a client sends).
public enum TimeStampRequestFuzzTarget: FuzzTarget {
    public static let name = "timestamp"

    static let authority = Result { TimeStampAuthority(keys: try EvidenceKeys.generate(now: Date(timeIntervalSince1970: 1_780_000_000))) }
    static let time = Date(timeIntervalSince1970: 1_780_000_100)

    public static func run(_ input: [UInt8]) async -> FuzzOutcome {
        guard let authority = try? authority.get() else { return .violation("no sandbox keys") }
        let decodes = (try? TimeStampRequest(derEncoded: input)) != nil
        let response = authority.respond(to: input, at: time)
        guard let (status, failure, hasToken) = try? parse(response) else {
            return .violation("the response is not a DER TimeStampResp")
        }
        switch status {
        case 0:
            guard decodes, hasToken else { return .violation("granted without a decodable request or a token") }
            return .accepted
        case 2:
            guard !hasToken, let failure else { return .violation("a rejection without failure info, or with a token") }
            guard failure != TimeStampFailure.systemFailure.rawValue else { return .violation("systemFailure for a client's request") }
            return .rejected("failInfo \(failure)")
        default:
            return .violation("status \(status)")
        }
    }

    /// `TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }`:
    /// the status, the number of the failure bit set, and whether a token follows.
    static func parse(_ bytes: [UInt8]) throws -> (Int, Int?, Bool) {
        let root = try DER.parse(bytes)
        return try DER.sequence(root, identifier: .sequence) { nodes in
            guard let statusInfo = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "no PKIStatusInfo") }
            let (status, failure) = try DER.sequence(statusInfo, identifier: .sequence) { info in
                let status = try Int(derEncoded: &info)
                let bits = try DER.optionalImplicitlyTagged(&info, tag: .bitString).map { (bits: ASN1BitString) in
                    bits.bytes.enumerated().compactMap { index, byte in byte == 0 ? nil : index * 8 + byte.leadingZeroBitCount }.first
                } ?? nil
                return (status, bits)
            }
            let token = nodes.next() != nil
            guard nodes.next() == nil else { throw ASN1Error.invalidASN1Object(reason: "trailing fields") }
            return (status, failure, token)
        }
    }
}
