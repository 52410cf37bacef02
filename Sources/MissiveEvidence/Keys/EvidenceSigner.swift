import Crypto
import Foundation
import X509

/// Something that can produce ECDSA P-256 / SHA-256 signatures for evidence.
///
/// The software implementation is ``SoftwareEvidenceSigner``; an HSM-backed signer
/// implements the same protocol and never exposes its key.
public protocol EvidenceSigner: Sendable {
    /// The public key matching the signing key, as it appears in the certificate.
    var publicKey: Certificate.PublicKey { get }

    /// Signs `bytes` with ECDSA over SHA-256 and returns the DER `ECDSA-Sig-Value`.
    func signature(for bytes: [UInt8]) throws -> [UInt8]
}

/// An ``EvidenceSigner`` backed by an in-memory P-256 key (sandbox and tests).
public struct SoftwareEvidenceSigner: EvidenceSigner, CustomStringConvertible {
    private let key: P256.Signing.PrivateKey

    /// Creates a signer with `key`.
    public init(key: P256.Signing.PrivateKey) {
        self.key = key
    }

    /// A fixed description that never includes the key.
    public var description: String { "SoftwareEvidenceSigner(P-256)" }

    /// The certificate public key of the signing key.
    public var publicKey: Certificate.PublicKey {
        Certificate.PublicKey(key.publicKey)
    }

    /// Signs `bytes` with ECDSA P-256 over SHA-256; returns the DER signature.
    public func signature(for bytes: [UInt8]) throws -> [UInt8] {
        do {
            return Array(try key.signature(for: bytes).derRepresentation)
        } catch {
            throw EvidenceError(.signingFailed, "software P-256 signing failed")
        }
    }
}
