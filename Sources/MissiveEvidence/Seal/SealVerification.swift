import Foundation
import X509

/// The outcome of checking a seal: a value, not a throw (as swift-certificates does).
public struct SealVerification: Hashable, Sendable {
    /// What the check concluded.
    public enum Outcome: Hashable, Sendable {
        /// Digest, signature, ESS binding, chain and any signature time-stamp are good.
        case valid
        /// The `.p7s` is not a DER CMS SignedData with one signer and signed attributes.
        case malformed
        /// A digest or signature algorithm other than SHA-256 / ecdsa-with-SHA256 was used.
        case unsupportedAlgorithm
        /// content-type or message-digest attribute missing or not id-data.
        case missingAttribute
        /// The content's SHA-256 differs from the message-digest attribute.
        case digestMismatch
        /// The signer's certificate is not among the embedded certificates.
        case signerCertificateMissing
        /// The ESS signing-certificate-v2 attribute is missing or names another certificate.
        case signingCertificateMismatch
        /// The ECDSA signature over the signed attributes does not verify.
        case signatureInvalid
        /// The signer certificate does not chain to the trust anchor at the given time.
        case chainInvalid
        /// The embedded signature time-stamp token does not verify or covers other data.
        case timeStampInvalid
    }

    /// What the check concluded.
    public var outcome: Outcome
    /// The seal certificate, when it could be identified.
    public var signer: Certificate?
    /// The signing-time attribute, when present.
    public var signingTime: Date?
    /// Whether a verified signature time-stamp (CAdES-B-T) is present.
    public var hasSignatureTimeStamp: Bool
    /// The time the signature time-stamp certifies (its `genTime`), when verified.
    public var timeStampTime: Date?

    /// True when ``outcome`` is ``Outcome/valid``.
    public var isValid: Bool { outcome == .valid }

    init(_ outcome: Outcome, signer: Certificate? = nil, signingTime: Date? = nil, hasSignatureTimeStamp: Bool = false) {
        self.outcome = outcome
        self.signer = signer
        self.signingTime = signingTime
        self.hasSignatureTimeStamp = hasSignatureTimeStamp
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
