import Crypto
import Foundation
import SwiftASN1
import X509

/// A client of an external RFC 3161 time-stamp authority (a qualified provider in
/// production). It sends a SHA-256 `TimeStampReq` with a fresh nonce and `certReq`, and
/// accepts only a granted reply whose token covers that digest, echoes that nonce, and is
/// signed by a time-stamping certificate chaining to `trustAnchors`. Anything else throws,
/// so the seal waits and is retried rather than carrying a token nobody can check.
public struct TimeStampClient: TimeStamper {
    /// Sends a DER `TimeStampReq` and returns the DER `TimeStampResp` (e.g. HTTP POST with
    /// `application/timestamp-query`).
    public typealias Transport = @Sendable (_ request: [UInt8]) async throws -> [UInt8]

    public let trustAnchors: [Certificate]
    let transport: Transport

    public init(trustAnchors: [Certificate], transport: @escaping Transport) {
        self.trustAnchors = trustAnchors
        self.transport = transport
    }

    public func timeStampToken(sha256 digest: [UInt8], at time: Date) async throws -> [UInt8] {
        var nonce = (0..<8).map { _ in UInt8.random(in: 0...255) }
        nonce[0] = nonce[0] & 0x7F | 0x01  // positive, minimal: no leading zero byte needed
        let reply = try await transport(try Self.request(sha256: digest, nonce: nonce))
        return try await Self.token(fromReply: reply, sha256: digest, nonce: nonce, trustAnchors: trustAnchors, at: time)
    }

    /// The DER `TimeStampReq`: version 1, SHA-256 imprint (parameters absent), nonce, certReq.
    static func request(sha256 digest: [UInt8], nonce: [UInt8]) throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(DigestAlgorithm.sha256.oid)
                }
                try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(digest)))
            }
            try coder.serialize(ArraySlice(nonce))
            try coder.serialize(true)
        }
        return coder.serializedBytes
    }

    /// The token of a granted reply, checked against the request.
    static func token(fromReply reply: [UInt8], sha256 digest: [UInt8], nonce: [UInt8], trustAnchors: [Certificate], at time: Date) async throws -> [UInt8] {
        let (status, token): (Int, [UInt8]?)
        do {
            (status, token) = try DER.sequence(try DER.parse(reply), identifier: .sequence) { nodes in
                let status = try DER.sequence(of: ASN1Any.self, identifier: .sequence, nodes: &nodes).first
                    .map { try Int(asn1Any: $0) } ?? -1
                var token: [UInt8]?
                if let node = nodes.next() {
                    var coder = DER.Serializer()
                    coder.serialize(node)
                    token = coder.serializedBytes
                }
                return (status, token)
            }
        } catch {
            throw EvidenceError(.timeStampRefused, "the TSA's reply is not a DER TimeStampResp")
        }
        guard status == 0 || status == 1 else {
            throw EvidenceError(.timeStampRefused, "the TSA refused the request (PKIStatus \(status))")
        }
        guard let token, let stamped = await CAdESSeal.verifyTimeStampToken(token, imprint: digest, trustAnchors: trustAnchors, at: time) else {
            throw EvidenceError(.timeStampRefused, "the TSA's token does not verify against its trust anchor or covers other data")
        }
        guard stamped.nonce == nonce else {
            throw EvidenceError(.timeStampRefused, "the TSA's token does not echo the request's nonce")
        }
        return token
    }
}
