import Foundation
import SwiftASN1
import X509

/// Produces detached CAdES-B (and CAdES-B-T) electronic seals over documents.
///
/// The seal is a DER CMS `ContentInfo`/`SignedData` (RFC 5652) over external content:
/// eContentType id-data without eContent, digest SHA-256, signed attributes content-type,
/// message-digest, signing-time and ESS signing-certificate-v2 (RFC 5035), signature
/// ecdsa-with-SHA256, and the seal certificate (plus ``chain``) in `certificates`.
public struct CAdESSeal: Sendable {
    /// The sealing key.
    public var signer: any EvidenceSigner
    /// The seal certificate matching ``signer``.
    public var certificate: Certificate
    /// Extra certificates (intermediates, optionally the root) to embed.
    public var chain: [Certificate]

    /// Creates a sealer signing with `signer` under `certificate`.
    public init(signer: any EvidenceSigner, certificate: Certificate, chain: [Certificate] = []) {
        self.signer = signer
        self.certificate = certificate
        self.chain = chain
    }

    /// Creates the sandbox sealer from ``EvidenceKeys``.
    public init(keys: EvidenceKeys, includeRoot: Bool = false) {
        self.init(signer: keys.sealSigner, certificate: keys.seal, chain: includeRoot ? [keys.root] : [])
    }

    /// Seals `content` (detached CAdES-B) at `time`; returns the DER `.p7s`.
    public func seal(_ content: some DataProtocol, at time: Date) throws -> [UInt8] {
        try seal(sha256: DigestAlgorithm.sha256.hash(content), at: time)
    }

    /// Seals content known by its SHA-256 (detached CAdES-B): a document need not be read
    /// again (or decrypted) to be sealed, its hash taken on arrival is enough.
    public func seal(sha256 digest: [UInt8], at time: Date) throws -> [UInt8] {
        try signedData(sha256: digest, at: time).contentInfoDER()
    }

    /// The seal before it is encoded (a time-stamp is added to it without parsing it back).
    func signedData(sha256 digest: [UInt8], at time: Date) throws -> CMSSignedData {
        guard digest.count == 32 else { throw EvidenceError(.malformedStructure, "a SHA-256 digest has 32 bytes") }
        return try CMSSigner(signer: signer, certificate: certificate).signedData(
            contentType: EvidenceOID.data,
            digest: digest,
            encapsulated: nil,
            signingTime: time,
            certificates: [certificate] + chain
        )
    }

    /// The raw signature value of a seal: what a signature time-stamp's imprint covers.
    public static func signatureValue(of p7s: [UInt8]) throws -> [UInt8] {
        try parse(p7s).signerInfo.signature
    }

    /// Adds `token` (a DER RFC 3161 `TimeStampToken` over the SHA-256 of the signature value)
    /// as the unsigned attribute id-aa-signatureTimeStampToken, turning CAdES-B into B-T.
    public static func addingSignatureTimeStamp(token: [UInt8], to p7s: [UInt8]) throws -> [UInt8] {
        var signedData = try parse(p7s)
        try addSignatureTimeStamp(token: token, to: &signedData)
        return try signedData.contentInfoDER()
    }

    static func addSignatureTimeStamp(token: [UInt8], to signedData: inout CMSSignedData) throws {
        let tokenValue: ASN1Any
        do {
            tokenValue = ASN1Any(derEncoded: try DER.parse(token))
        } catch {
            throw EvidenceError(.malformedStructure, "time-stamp token is not DER")
        }
        signedData.signerInfo.unsignedAttributes.removeAll { $0.type == EvidenceOID.signatureTimeStampToken }
        signedData.signerInfo.unsignedAttributes.append(
            CMSAttribute(type: EvidenceOID.signatureTimeStampToken, values: [tokenValue])
        )
    }

    /// The embedded signature time-stamp token, if the seal is CAdES-B-T.
    public static func signatureTimeStampToken(of p7s: [UInt8]) throws -> [UInt8]? {
        guard let value = try parse(p7s).signerInfo.unsignedAttributes.singleValue(of: EvidenceOID.signatureTimeStampToken)
        else { return nil }
        var coder = DER.Serializer()
        try coder.serialize(value)
        return coder.serializedBytes
    }

    static func parse(_ p7s: [UInt8]) throws -> CMSSignedData {
        do {
            return try CMSSignedData(contentInfoDER: p7s)
        } catch {
            throw EvidenceError(.malformedStructure, "seal is not a DER CMS SignedData")
        }
    }
}
