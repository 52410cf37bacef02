import Crypto
import Foundation
import MissiveCore
import NIOSSL
import SwiftASN1
import X509

/// The sandbox's self-signed TLS certificate (P-256, `localhost` and `127.0.0.1`), made on
/// first start in `DATA/tls/` so SMTP clients can use STARTTLS with a real handshake; its
/// path is in `sandbox.json` (`smtpCertificate`) for clients that want to pin it.
enum SandboxTLS {
    static func ensure(in folder: URL) async throws -> (certificate: String, privateKey: String) {
        let certificatePath = folder.appendingPathComponent("smtp-certificate.pem").path
        let keyPath = folder.appendingPathComponent("smtp-key.pem").path
        if FileManager.default.fileExists(atPath: certificatePath), FileManager.default.fileExists(atPath: keyPath) {
            return (certificatePath, keyPath)
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("Missive sandbox")
            CommonName("localhost")
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))])
            },
            issuerPrivateKey: .init(key)
        )
        try Data(key.pemRepresentation.utf8).write(to: URL(fileURLWithPath: keyPath), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
        try Data(try certificate.serializeAsPEM().pemString.utf8).write(to: URL(fileURLWithPath: certificatePath), options: .atomic)
        return (certificatePath, keyPath)
    }

    /// A server TLS context from PEM files (certificate chain, private key).
    static func context(certificate: String, privateKey: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: privateKey, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }
}
