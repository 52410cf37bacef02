import Foundation
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

extension CAdESSeal {
    /// Verifies a detached CAdES-B or CAdES-B-T seal over `content`.
    ///
    /// Checks the message digest, the ESS signing-certificate-v2 binding, the ECDSA signature,
    /// the signer's chain to `trustAnchor` at `time` (RFC 5280), and, when present, the
    /// signature time-stamp token (its signature, imprint over the signature value, and its
    /// TSA chain to the same anchor). Returns the first failed check as a value.
    public static func verify(
        p7s: [UInt8],
        content: some DataProtocol,
        trustAnchor: Certificate,
        at time: Date = Date()
    ) async -> SealVerification {
        await verify(p7s: p7s, sha256: DigestAlgorithm.sha256.hash(content), trustAnchors: [trustAnchor], at: time)
    }

    /// Verifies a detached seal over content known by its SHA-256 against one trust anchor.
    public static func verify(
        p7s: [UInt8],
        sha256 digest: [UInt8],
        trustAnchor: Certificate,
        at time: Date = Date()
    ) async -> SealVerification {
        await verify(p7s: p7s, sha256: digest, trustAnchors: [trustAnchor], at: time)
    }

    /// Verifies a detached seal over content known by its SHA-256 (a document too large to
    /// hold, hashed while streamed). The seal certificate must chain to `trustAnchors` (the
    /// operator's root), the time-stamping certificate to `timeStampAnchors` (the same root
    /// for the built-in TSA; an external TSA's root otherwise): neither root vouches for the
    /// other's certificates.
    public static func verify(
        p7s: [UInt8],
        sha256 digest: [UInt8],
        trustAnchors: [Certificate],
        timeStampAnchors: [Certificate]? = nil,
        at time: Date = Date()
    ) async -> SealVerification {
        guard let signedData = try? CMSSignedData(contentInfoDER: p7s),
            signedData.contentType == EvidenceOID.data, signedData.content == nil
        else { return SealVerification(.malformed) }
        let signer: Certificate
        switch signedData.verifySigner(contentDigest: digest) {
        case .failure(let failure):
            return SealVerification(failure.outcome, signer: failure.signer)
        case .success(let certificate):
            signer = certificate
        }
        let signingTime = signedData.signerInfo.signedAttributes.singleValue(of: EvidenceOID.signingTime)
            .flatMap(signingTimeDate)
        var verifier = Verifier(rootCertificates: CertificateStore(trustAnchors)) {
            RFC5280Policy(fixedExpiryValidationTime: time)
        }
        let chain = await verifier.validate(leaf: signer, intermediates: CertificateStore(signedData.certificates))
        guard case .validCertificate = chain else {
            return SealVerification(.chainInvalid, signer: signer, signingTime: signingTime)
        }
        let attributes = signedData.signerInfo.unsignedAttributes
        guard attributes.contains(where: { $0.type == EvidenceOID.signatureTimeStampToken }) else {
            return SealVerification(.valid, signer: signer, signingTime: signingTime)
        }
        let imprint = DigestAlgorithm.sha256.hash(signedData.signerInfo.signature)
        var token = DER.Serializer()
        guard let value = attributes.singleValue(of: EvidenceOID.signatureTimeStampToken), (try? token.serialize(value)) != nil,
            let stamped = await verifyTimeStampToken(token.serializedBytes, imprint: imprint, trustAnchors: timeStampAnchors ?? trustAnchors, at: time)
        else {
            return SealVerification(.timeStampInvalid, signer: signer, signingTime: signingTime)
        }
        var verification = SealVerification(.valid, signer: signer, signingTime: signingTime, hasSignatureTimeStamp: true)
        verification.timeStampTime = stamped.genTime
        return verification
    }

    /// Checks a DER time-stamp token: a SignedData over a TSTInfo whose SHA-256 imprint is
    /// `imprint`, signed by a TSA certificate with EKU timeStamping that chains to one of
    /// `trustAnchors`. Returns the token's TSTInfo, or nil.
    static func verifyTimeStampToken(
        _ der: [UInt8],
        imprint: [UInt8],
        trustAnchors: [Certificate],
        at time: Date
    ) async -> TSTInfoSummary? {
        guard let token = try? CMSSignedData(contentInfoDER: der),
            token.contentType == EvidenceOID.tstInfo, let info = token.content,
            case .success(let tsa) = token.verifySigner(contentDigest: DigestAlgorithm.sha256.hash(info)),
            let stamped = try? TSTInfo.messageImprint(of: info),
            stamped.algorithm == .sha256, stamped.digest == imprint
        else { return nil }
        var verifier = Verifier(rootCertificates: CertificateStore(trustAnchors)) {
            RFC5280Policy(fixedExpiryValidationTime: time)
            TimeStampingPolicy()
        }
        let chain = await verifier.validate(leaf: tsa, intermediates: CertificateStore(token.certificates))
        guard case .validCertificate = chain else { return nil }
        return stamped
    }
}

/// A verifier policy requiring the leaf to carry Extended Key Usage `timeStamping`
/// (RFC 3161 §2.3); it also marks that critical extension as handled.
struct TimeStampingPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
        guard let usage = try? chain.leaf.extensions.extendedKeyUsage, usage.contains(.timeStamping) else {
            return .failsToMeetPolicy(reason: "leaf lacks extended key usage timeStamping")
        }
        return .meetsPolicy
    }
}
