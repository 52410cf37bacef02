import Crypto
import SwiftASN1
import X509

/// A CMS `ContentInfo` carrying `SignedData` (RFC 5652 §3, §5.1), with one signer.
///
/// `eContent` is absent for detached signatures (CAdES seals) and holds the DER `TSTInfo`
/// in time-stamp tokens.
struct CMSSignedData: Hashable, Sendable {
    static let certificatesTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)

    var digestAlgorithms: [AlgorithmIdentifierValue]
    var contentType: ASN1ObjectIdentifier
    var content: [UInt8]?
    var certificates: [Certificate]
    var signerInfos: [CMSSignerInfo]

    init(
        contentType: ASN1ObjectIdentifier,
        content: [UInt8]?,
        certificates: [Certificate],
        signerInfo: CMSSignerInfo
    ) {
        self.digestAlgorithms = [AlgorithmIdentifierValue(algorithm: EvidenceOID.sha256)]
        self.contentType = contentType
        self.content = content
        self.certificates = certificates
        self.signerInfos = [signerInfo]
    }

    /// Parses a DER `ContentInfo` whose content type is id-signedData.
    init(contentInfoDER bytes: [UInt8]) throws {
        let root = try DER.parse(bytes)
        self = try DER.sequence(root, identifier: .sequence) { nodes in
            guard try ASN1ObjectIdentifier(derEncoded: &nodes) == EvidenceOID.signedData else {
                throw ASN1Error.invalidASN1Object(reason: "not signed data")
            }
            return try DER.explicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try CMSSignedData(signedDataNode: $0)
            }
        }
    }

    private init(signedDataNode: ASN1Node) throws {
        self = try DER.sequence(signedDataNode, identifier: .sequence) { nodes in
            _ = try Int(derEncoded: &nodes)
            let digests = try DER.set(of: AlgorithmIdentifierValue.self, identifier: .set, nodes: &nodes)
            guard let encapsulated = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "missing encapsulated content info")
            }
            let (type, content) = try DER.sequence(encapsulated, identifier: .sequence) { inner in
                let type = try ASN1ObjectIdentifier(derEncoded: &inner)
                let content = try DER.optionalExplicitlyTagged(&inner, tagNumber: 0, tagClass: .contextSpecific) {
                    try ASN1OctetString(derEncoded: $0)
                }
                return (type, content.map { Array($0.bytes) })
            }
            let certificates = try DER.optionalImplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try DER.set(of: Certificate.self, identifier: Self.certificatesTag, rootNode: $0)
            }
            _ = DER.optionalImplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) { _ in }
            let signers = try DER.set(of: CMSSignerInfo.self, identifier: .set, nodes: &nodes)
            guard signers.count == 1 else {
                throw ASN1Error.invalidASN1Object(reason: "exactly one signer expected")
            }
            var value = CMSSignedData(
                contentType: type,
                content: content,
                certificates: certificates ?? [],
                signerInfo: signers[0]
            )
            value.digestAlgorithms = digests
            return value
        }
    }

    /// The single signer.
    var signerInfo: CMSSignerInfo {
        get { signerInfos[0] }
        set { signerInfos[0] = newValue }
    }

    /// The DER `ContentInfo` wrapping this signed data.
    func contentInfoDER() throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(EvidenceOID.signedData)
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                try serializeSignedData(into: &coder)
            }
        }
        return coder.serializedBytes
    }

    private func serializeSignedData(into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            // Version 3 when eContentType is not id-data (RFC 5652 §5.1), else 1.
            try coder.serialize(contentType == EvidenceOID.data ? 1 : 3)
            try coder.serializeSetOf(digestAlgorithms)
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(contentType)
                if let content {
                    try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(content)),
                                        explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
                }
            }
            if !certificates.isEmpty {
                try coder.serializeSetOf(certificates, identifier: Self.certificatesTag)
            }
            try coder.serializeSetOf(signerInfos)
        }
    }
}

extension CMSSignedData {
    /// Checks the single signer: algorithms, content-type and message-digest attributes,
    /// ESS signing-certificate-v2 and the ECDSA signature over the signed attributes.
    ///
    /// - Parameter contentDigest: SHA-256 of the (detached or encapsulated) content.
    /// - Returns: the signer certificate, or the first failed check.
    func verifySigner(contentDigest: [UInt8]) -> Result<Certificate, SealFailure> {
        let info = signerInfo
        guard info.digestAlgorithm.algorithm == EvidenceOID.sha256, !info.digestAlgorithm.hasNonNullParameters,
            info.signatureAlgorithm.algorithm == EvidenceOID.ecdsaWithSHA256
        else { return .failure(SealFailure(.unsupportedAlgorithm)) }
        let attributes = info.signedAttributes
        guard let typeValue = attributes.singleValue(of: EvidenceOID.contentType),
            (try? ASN1ObjectIdentifier(asn1Any: typeValue)) == contentType,
            let digestValue = attributes.singleValue(of: EvidenceOID.messageDigest),
            let digest = try? ASN1OctetString(asn1Any: digestValue)
        else { return .failure(SealFailure(.missingAttribute)) }
        guard [UInt8](digest.bytes) == contentDigest else { return .failure(SealFailure(.digestMismatch)) }
        guard let certificate = certificates.first(where: info.identifies) else {
            return .failure(SealFailure(.signerCertificateMissing))
        }
        guard let essValue = attributes.singleValue(of: EvidenceOID.signingCertificateV2),
            let ess = try? SigningCertificateV2(asn1Any: essValue),
            (try? ess.names(certificate)) == true
        else { return .failure(SealFailure(.signingCertificateMismatch, signer: certificate)) }
        guard let key = P256.Signing.PublicKey(certificate.publicKey),
            let signature = try? P256.Signing.ECDSASignature(derRepresentation: info.signature),
            key.isValidSignature(signature, for: info.signedAttributesEncoding)
        else { return .failure(SealFailure(.signatureInvalid, signer: certificate)) }
        return .success(certificate)
    }
}
