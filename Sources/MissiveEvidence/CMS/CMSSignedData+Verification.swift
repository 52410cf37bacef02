import Crypto
import SwiftASN1
import X509

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

/// A failed seal or token check, carried through `Result`.
struct SealFailure: Error, Hashable {
    var outcome: SealVerification.Outcome
    var signer: Certificate?

    init(_ outcome: SealVerification.Outcome, signer: Certificate? = nil) {
        self.outcome = outcome
        self.signer = signer
    }
}
