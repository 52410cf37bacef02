import Foundation
import SwiftASN1
import X509

/// The RFC 3161 `TSTInfo` (§2.4.2), the signed content of a time-stamp token.
///
/// ```
/// TSTInfo ::= SEQUENCE {
///   version INTEGER { v1(1) }, policy TSAPolicyId, messageImprint MessageImprint,
///   serialNumber INTEGER, genTime GeneralizedTime, accuracy Accuracy OPTIONAL,
///   ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL,
///   tsa [0] GeneralName OPTIONAL, extensions [1] IMPLICIT Extensions OPTIONAL }
/// Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] ..., micros [1] ... }
/// ```
struct TSTInfo: Hashable, Sendable {
    var policy: ASN1ObjectIdentifier
    var hashAlgorithm: DigestAlgorithm
    var hashedMessage: [UInt8]
    /// Positive serial number bytes (big-endian, minimal).
    var serialNumber: [UInt8]
    var genTime: Date
    /// Accuracy in whole seconds.
    var accuracySeconds: Int
    var nonce: ArraySlice<UInt8>?
    var tsaName: DistinguishedName?

    /// A fresh random, positive, 128-bit serial number.
    static func randomSerialNumber() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var serial = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        serial[0] = (serial[0] & 0x7F) | 0x40
        return serial
    }

    /// The DER encoding.
    func derEncoded() throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)
            try coder.serialize(policy)
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(AlgorithmIdentifierValue(algorithm: hashAlgorithm.oid))
                try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(hashedMessage)))
            }
            try coder.serialize(ArraySlice(serialNumber))
            try coder.serialize(GeneralizedTime(genTime))
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(accuracySeconds)
            }
            if let nonce {
                try coder.serialize(nonce)
            }
            if let tsaName {
                try coder.serialize(
                    GeneralName.directoryName(tsaName),
                    explicitlyTaggedWithTagNumber: 0,
                    tagClass: .contextSpecific
                )
            }
        }
        return coder.serializedBytes
    }
}

/// What a verifier needs from a DER `TSTInfo`.
struct TSTInfoSummary: Sendable {
    var algorithm: DigestAlgorithm
    var digest: [UInt8]
    var genTime: Date?
    /// The nonce's big-endian integer bytes, when present.
    var nonce: [UInt8]?
}

extension TSTInfo {
    /// Reads the `messageImprint`, `genTime` and `nonce` of a DER `TSTInfo`.
    static func messageImprint(of der: [UInt8]) throws -> TSTInfoSummary {
        try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
            guard try Int(derEncoded: &nodes) == 1 else {
                throw ASN1Error.invalidASN1Object(reason: "unsupported TSTInfo version")
            }
            _ = try ASN1ObjectIdentifier(derEncoded: &nodes)
            guard let imprintNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "missing message imprint")
            }
            let imprint = try DER.sequence(imprintNode, identifier: .sequence) { fields in
                let algorithm = try AlgorithmIdentifierValue(derEncoded: &fields)
                let digest = try ASN1OctetString(derEncoded: &fields)
                return (algorithm, [UInt8](digest.bytes))
            }
            _ = nodes.next()  // serialNumber
            let genTime = nodes.next().flatMap { try? GeneralizedTime(derEncoded: $0) }
            // accuracy (SEQUENCE) and ordering (BOOLEAN) may come first; the nonce is the
            // only INTEGER after genTime.
            var nonce: [UInt8]?
            while let node = nodes.next() {
                if node.identifier == .integer, nonce == nil, let value = try? ArraySlice<UInt8>(derEncoded: node) {
                    nonce = Array(value)
                }
            }
            guard let algorithm = DigestAlgorithm(oid: imprint.0.algorithm) else {
                throw ASN1Error.invalidASN1Object(reason: "unsupported imprint algorithm")
            }
            return TSTInfoSummary(algorithm: algorithm, digest: imprint.1, genTime: genTime.flatMap { try? signingTimeDate(ASN1Any(erasing: $0)) }, nonce: nonce)
        }
    }
}
