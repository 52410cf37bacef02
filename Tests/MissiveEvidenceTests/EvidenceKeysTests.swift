import Foundation
import MissiveEvidence
import Testing

@Suite("Sandbox evidence PKI")
struct EvidenceKeysTests {
    @Test func writeThenLoadRoundTripsWithPrivateKeyModes() throws {
        let keys = try EvidenceKeys.generate()
        let openssl = try OpenSSL()
        defer { openssl.cleanUp() }
        try keys.write(to: openssl.folder)
        let loaded = try EvidenceKeys.load(from: openssl.folder)
        #expect(loaded.root == keys.root)
        #expect(loaded.seal == keys.seal)
        #expect(loaded.timeStamping == keys.timeStamping)
        #expect(String(describing: keys).contains("Missive Sandbox Seal"))
        #expect(!String(describing: keys).contains("PRIVATE"))
        #expect(String(describing: keys.sealSigner) == "SoftwareEvidenceSigner(P-256)")
        for name in [EvidenceKeys.FileName.rootKey, EvidenceKeys.FileName.sealKey, EvidenceKeys.FileName.timeStampingKey] {
            let path = openssl.folder.appendingPathComponent(name).path
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600, "\(name)")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(text.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        }
    }

    @Test func opensslSeesTheIntendedExtensions() throws {
        let keys = try EvidenceKeys.generate()
        let openssl = try OpenSSL()
        defer { openssl.cleanUp() }
        try keys.write(to: openssl.folder)
        let tsa = try openssl.run(["x509", "-in", "tsa.pem", "-noout", "-text"])
        #expect(tsa.output.contains("X509v3 Extended Key Usage: critical\n                Time Stamping"))
        #expect(tsa.output.contains("Digital Signature"))
        let seal = try openssl.run(["x509", "-in", "seal.pem", "-noout", "-text"])
        #expect(seal.output.contains("Digital Signature, Non Repudiation"))
        let root = try openssl.run(["x509", "-in", "root.pem", "-noout", "-text"])
        #expect(root.output.contains("CA:TRUE"))
        let chain = try openssl.run(["verify", "-CAfile", "root.pem", "seal.pem", "tsa.pem"])
        #expect(chain.status == 0, "\(chain.output)")
        let purpose = try openssl.run(["verify", "-CAfile", "root.pem", "-purpose", "timestampsign", "tsa.pem"])
        #expect(purpose.status == 0, "\(purpose.output)")
    }

    @Test func mismatchedKeyIsRefusedOnLoad() throws {
        let keys = try EvidenceKeys.generate()
        let other = try EvidenceKeys.generate()
        let openssl = try OpenSSL()
        defer { openssl.cleanUp() }
        try keys.write(to: openssl.folder)
        let foreign = openssl.folder.appendingPathComponent("foreign")
        try other.write(to: foreign)
        try FileManager.default.removeItem(at: openssl.folder.appendingPathComponent(EvidenceKeys.FileName.sealKey))
        try FileManager.default.copyItem(
            at: foreign.appendingPathComponent(EvidenceKeys.FileName.sealKey),
            to: openssl.folder.appendingPathComponent(EvidenceKeys.FileName.sealKey)
        )
        #expect(throws: EvidenceError(.keyMaterial, "")) { try EvidenceKeys.load(from: openssl.folder) }
        #expect(throws: EvidenceError(.fileSystem, "")) {
            try EvidenceKeys.load(from: openssl.folder.appendingPathComponent("missing"))
        }
    }
}
