import SwiftASN1
import X509

/// A CMS `SignerInfo` (RFC 5652 §5.3), version 1 with `issuerAndSerialNumber`.
struct CMSSignerInfo: DERImplicitlyTaggable, Hashable, Sendable {
    static var defaultIdentifier: ASN1Identifier { .sequence }
    static let signedAttributesTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
    static let unsignedAttributesTag = ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)

    var issuer: DistinguishedName
    var serialNumber: ArraySlice<UInt8>
    var digestAlgorithm: AlgorithmIdentifierValue
    var signedAttributes: [CMSAttribute]
    /// The signed attributes exactly as received, re-tagged as a `SET` for verification.
    var signedAttributesEncoding: [UInt8]
    var signatureAlgorithm: AlgorithmIdentifierValue
    var signature: [UInt8]
    var unsignedAttributes: [CMSAttribute]

    init(
        certificate: Certificate,
        signedAttributes: [CMSAttribute],
        signature: [UInt8],
        unsignedAttributes: [CMSAttribute] = []
    ) throws {
        self.issuer = certificate.issuer
        self.serialNumber = ArraySlice(certificate.serialNumber.bytes)
        self.digestAlgorithm = AlgorithmIdentifierValue(algorithm: EvidenceOID.sha256)
        self.signedAttributes = signedAttributes
        self.signedAttributesEncoding = try signedAttributes.derSetEncoding()
        self.signatureAlgorithm = AlgorithmIdentifierValue(algorithm: EvidenceOID.ecdsaWithSHA256)
        self.signature = signature
        self.unsignedAttributes = unsignedAttributes
    }

    init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            guard try Int(derEncoded: &nodes) == 1 else {
                throw ASN1Error.invalidASN1Object(reason: "unsupported SignerInfo version")
            }
            let (issuer, serial) = try DER.sequence(of: ASN1Any.self, identifier: .sequence, nodes: &nodes)
                .pair()
            let digestAlgorithm = try AlgorithmIdentifierValue(derEncoded: &nodes)
            guard let signedNode = nodes.next(), signedNode.identifier == Self.signedAttributesTag else {
                throw ASN1Error.invalidASN1Object(reason: "signed attributes are required")
            }
            let signed = try DER.set(of: CMSAttribute.self, identifier: Self.signedAttributesTag, rootNode: signedNode)
            var encoding = Array(signedNode.encodedBytes)
            encoding[0] = 0x31
            let signatureAlgorithm = try AlgorithmIdentifierValue(derEncoded: &nodes)
            let signature = try ASN1OctetString(derEncoded: &nodes)
            let unsigned = try DER.optionalImplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                try DER.set(of: CMSAttribute.self, identifier: Self.unsignedAttributesTag, rootNode: $0)
            }
            var info = try CMSSignerInfo(
                issuer: DistinguishedName(asn1Any: issuer),
                serialNumber: ArraySlice<UInt8>(asn1Any: serial),
                digestAlgorithm: digestAlgorithm,
                signatureAlgorithm: signatureAlgorithm,
                signature: Array(signature.bytes)
            )
            info.signedAttributes = signed
            info.signedAttributesEncoding = encoding
            info.unsignedAttributes = unsigned ?? []
            return info
        }
    }

    private init(
        issuer: DistinguishedName,
        serialNumber: ArraySlice<UInt8>,
        digestAlgorithm: AlgorithmIdentifierValue,
        signatureAlgorithm: AlgorithmIdentifierValue,
        signature: [UInt8]
    ) {
        self.issuer = issuer
        self.serialNumber = serialNumber
        self.digestAlgorithm = digestAlgorithm
        self.signedAttributes = []
        self.signedAttributesEncoding = []
        self.signatureAlgorithm = signatureAlgorithm
        self.signature = signature
        self.unsignedAttributes = []
    }

    func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(1)
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(issuer)
                try coder.serialize(serialNumber)
            }
            try coder.serialize(digestAlgorithm)
            try coder.serializeSetOf(signedAttributes, identifier: Self.signedAttributesTag)
            try coder.serialize(signatureAlgorithm)
            try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(signature)))
            if !unsignedAttributes.isEmpty {
                try coder.serializeSetOf(unsignedAttributes, identifier: Self.unsignedAttributesTag)
            }
        }
    }

    /// Whether this signer info names `certificate` by issuer and serial number.
    func identifies(_ certificate: Certificate) -> Bool {
        issuer == certificate.issuer && Array(serialNumber) == Array(certificate.serialNumber.bytes)
    }
}

extension Array where Element == ASN1Any {
    fileprivate func pair() throws -> (ASN1Any, ASN1Any) {
        guard count == 2 else { throw ASN1Error.invalidASN1Object(reason: "expected two elements") }
        return (self[0], self[1])
    }
}
