import SwiftASN1
import X509

/// The ESS `SigningCertificateV2` attribute value (RFC 5035 §3), naming one certificate.
///
/// ```
/// SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies ... OPTIONAL }
/// ESSCertIDv2 ::= SEQUENCE {
///   hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
///   certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
/// ```
/// The hash algorithm is SHA-256 and therefore omitted (DER forbids encoding a DEFAULT);
/// `issuerSerial` is omitted, which RFC 5035 and OpenSSL allow.
struct SigningCertificateV2: DERImplicitlyTaggable, Hashable, Sendable {
    static var defaultIdentifier: ASN1Identifier { .sequence }

    /// SHA-256 hashes of the DER certificates, the signer's first.
    var certificateHashes: [[UInt8]]

    init(certificate: Certificate) throws {
        var coder = DER.Serializer()
        try coder.serialize(certificate)
        self.certificateHashes = [DigestAlgorithm.sha256.hash(coder.serializedBytes)]
    }

    init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self.certificateHashes = try DER.sequence(rootNode, identifier: identifier) { nodes in
            guard let certs = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "no certs") }
            while nodes.next() != nil {}
            return try DER.sequence(of: ASN1Any.self, identifier: .sequence, rootNode: certs).map { any in
                try DER.sequence(ASN1Node(any), identifier: .sequence) { ids in
                    var first = ids.next()
                    if let algorithmNode = first, algorithmNode.identifier == .sequence {
                        let algorithm = try AlgorithmIdentifierValue(derEncoded: algorithmNode)
                        guard algorithm.algorithm == EvidenceOID.sha256 else {
                            throw ASN1Error.invalidASN1Object(reason: "unsupported certificate hash")
                        }
                        first = ids.next()
                    }
                    guard let hashNode = first else { throw ASN1Error.invalidASN1Object(reason: "no hash") }
                    while ids.next() != nil {}
                    return Array(try ASN1OctetString(derEncoded: hashNode).bytes)
                }
            }
        }
    }

    func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                for hash in certificateHashes {
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(hash)))
                    }
                }
            }
        }
    }

    /// Whether the first (signer's) hash matches `certificate`.
    func names(_ certificate: Certificate) throws -> Bool {
        try certificateHashes.first == SigningCertificateV2(certificate: certificate).certificateHashes.first
    }
}

extension ASN1Node {
    /// Re-parses the DER bytes held by an `ASN1Any`.
    fileprivate init(_ any: ASN1Any) throws {
        var coder = DER.Serializer()
        try coder.serialize(any)
        self = try DER.parse(coder.serializedBytes)
    }
}
