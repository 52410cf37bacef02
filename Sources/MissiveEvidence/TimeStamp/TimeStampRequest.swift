import SwiftASN1

/// An RFC 3161 `TimeStampReq` (§2.4.1).
///
/// ```
/// TimeStampReq ::= SEQUENCE {
///   version INTEGER { v1(1) }, messageImprint MessageImprint,
///   reqPolicy TSAPolicyId OPTIONAL, nonce INTEGER OPTIONAL,
///   certReq BOOLEAN DEFAULT FALSE, extensions [0] IMPLICIT Extensions OPTIONAL }
/// MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
/// ```
package struct TimeStampRequest: Hashable, Sendable {
    var version: Int
    var hashAlgorithm: AlgorithmIdentifierValue
    var hashedMessage: [UInt8]
    var policy: ASN1ObjectIdentifier?
    /// The nonce's big-endian integer bytes, echoed verbatim.
    var nonce: ArraySlice<UInt8>?
    var certificateRequested: Bool
    var hasExtensions: Bool

    /// Parses a DER request; throws on anything that is not a well-formed `TimeStampReq`.
    package init(derEncoded bytes: [UInt8]) throws {
        let root = try DER.parse(bytes)
        self = try DER.sequence(root, identifier: .sequence) { nodes in
            let version = try Int(derEncoded: &nodes)
            let (algorithm, hashed) = try DER.sequence(of: ASN1Any.self, identifier: .sequence, nodes: &nodes)
                .imprint()
            var request = TimeStampRequest(version: version, hashAlgorithm: algorithm, hashedMessage: hashed)
            request.policy = try DER.optionalImplicitlyTagged(&nodes, tag: .objectIdentifier)
            request.nonce = try DER.optionalImplicitlyTagged(&nodes, tag: .integer)
            request.certificateRequested = try DER.decodeDefault(&nodes, defaultValue: false)
            let extensions: Bool? = DER.optionalImplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { _ in
                true
            }
            request.hasExtensions = extensions ?? false
            guard nodes.next() == nil else {
                throw ASN1Error.invalidASN1Object(reason: "trailing fields in request")
            }
            return request
        }
    }

    private init(version: Int, hashAlgorithm: AlgorithmIdentifierValue, hashedMessage: [UInt8]) {
        self.version = version
        self.hashAlgorithm = hashAlgorithm
        self.hashedMessage = hashedMessage
        self.policy = nil
        self.nonce = nil
        self.certificateRequested = false
        self.hasExtensions = false
    }
}

extension Array where Element == ASN1Any {
    /// Splits a `MessageImprint`'s two elements.
    fileprivate func imprint() throws -> (AlgorithmIdentifierValue, [UInt8]) {
        guard count == 2 else { throw ASN1Error.invalidASN1Object(reason: "bad message imprint") }
        let algorithm = try AlgorithmIdentifierValue(asn1Any: self[0])
        let hashed = try ASN1OctetString(asn1Any: self[1])
        return (algorithm, [UInt8](hashed.bytes))
    }
}
