import Crypto
import Foundation
import SwiftASN1
import X509

/// The sandbox evidence PKI: a local root CA, a seal certificate and a TSA certificate.
///
/// All keys are P-256. The seal certificate has KeyUsage digitalSignature+nonRepudiation;
/// the TSA certificate has KeyUsage digitalSignature and a **critical** Extended Key Usage
/// `timeStamping`, as RFC 3161 §2.3 (and OpenSSL) require.
public struct EvidenceKeys: Sendable, CustomStringConvertible {
    /// The self-signed root certificate (CA:true); the trust anchor.
    public var root: Certificate
    /// The seal certificate, issued by ``root``.
    public var seal: Certificate
    /// The time-stamping certificate, issued by ``root``.
    public var timeStamping: Certificate

    var rootKey: P256.Signing.PrivateKey
    var sealKey: P256.Signing.PrivateKey
    var timeStampingKey: P256.Signing.PrivateKey

    /// A signer for seals.
    public var sealSigner: any EvidenceSigner { SoftwareEvidenceSigner(key: sealKey) }
    /// A signer for time-stamp tokens.
    public var timeStampingSigner: any EvidenceSigner { SoftwareEvidenceSigner(key: timeStampingKey) }

    /// Names the certificates only; key material is never described.
    public var description: String {
        "EvidenceKeys(root: \(root.subject), seal: \(seal.subject), tsa: \(timeStamping.subject))"
    }

    /// Generates a fresh sandbox PKI valid from one hour before `now` for `validity`.
    public static func generate(now: Date = Date(), validity: TimeInterval = 3 * 365 * 86_400) throws -> EvidenceKeys {
        let rootKey = P256.Signing.PrivateKey()
        let sealKey = P256.Signing.PrivateKey()
        let tsaKey = P256.Signing.PrivateKey()
        let notBefore = now.addingTimeInterval(-3600)
        let notAfter = now.addingTimeInterval(validity)
        do {
            let rootName = try DistinguishedName {
                OrganizationName("Missive Sandbox")
                CommonName("Missive Sandbox Root CA")
            }
            let root = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(rootKey.publicKey),
                notValidBefore: notBefore, notValidAfter: notAfter, issuer: rootName, subject: rootName,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: .init(rootKey.publicKey))
                },
                issuerPrivateKey: .init(rootKey)
            )
            let seal = try issue(
                name: "Missive Sandbox Seal", key: sealKey, root: root, rootKey: rootKey,
                notBefore: notBefore, notAfter: notAfter,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, nonRepudiation: true))
                }
            )
            let tsa = try issue(
                name: "Missive Sandbox TSA", key: tsaKey, root: root, rootKey: rootKey,
                notBefore: notBefore, notAfter: notAfter,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    Critical(try ExtendedKeyUsage([.timeStamping]))
                }
            )
            return EvidenceKeys(
                root: root, seal: seal, timeStamping: tsa,
                rootKey: rootKey, sealKey: sealKey, timeStampingKey: tsaKey
            )
        } catch {
            throw EvidenceError(.keyMaterial, "could not create sandbox certificates")
        }
    }

    private static func issue(
        name: String,
        key: P256.Signing.PrivateKey,
        root: Certificate,
        rootKey: P256.Signing.PrivateKey,
        notBefore: Date,
        notAfter: Date,
        extensions: Certificate.Extensions
    ) throws -> Certificate {
        var serial = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in serial.indices { serial[index] = generator.next() }
        serial[0] = (serial[0] & 0x7F) | 0x40
        var all = extensions
        let rootKeyID = SubjectKeyIdentifier(hash: .init(rootKey.publicKey)).keyIdentifier
        try all.append(Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: rootKeyID), critical: false))
        return try Certificate(
            version: .v3, serialNumber: .init(bytes: serial), publicKey: .init(key.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: root.subject,
            subject: try DistinguishedName {
                OrganizationName("Missive Sandbox")
                CommonName(name)
            },
            signatureAlgorithm: .ecdsaWithSHA256, extensions: all, issuerPrivateKey: .init(rootKey)
        )
    }
}
