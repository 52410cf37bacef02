import Crypto
import Foundation
import MissiveEvidence
import Testing

@Suite("CAdES-B-T: seal with signature time-stamp")
struct SignatureTimeStampTests {
    static let document = [UInt8]("%PDF-1.7\nMissive registered letter\n%%EOF\n".utf8)

    @Test func timestampedSealVerifiesAndItsTokenVerifies() async throws {
        let keys = try EvidenceKeys.generate()
        let p7s = try await CAdESSeal(keys: keys).seal(Self.document, at: Date(), timeStampedBy: TimeStampAuthority(keys: keys))
        let openssl = try OpenSSL()
        defer { openssl.cleanUp() }
        try keys.write(to: openssl.folder)
        try openssl.write(p7s, to: "doc.p7s")
        try openssl.write(Self.document, to: "doc.pdf")
        let cms = try openssl.run([
            "cms", "-verify", "-binary", "-inform", "DER", "-in", "doc.p7s", "-content", "doc.pdf",
            "-CAfile", "root.pem", "-purpose", "any", "-cades", "-out", "/dev/null",
        ])
        #expect(cms.status == 0, "\(cms.output)")
        let dump = try openssl.run(["cms", "-cmsout", "-print", "-inform", "DER", "-in", "doc.p7s"])
        #expect(dump.output.contains("id-smime-aa-timeStampToken"))

        let token = try #require(try CAdESSeal.signatureTimeStampToken(of: p7s))
        try openssl.write(token, to: "token.der")
        let imprint = SHA256.hash(data: try CAdESSeal.signatureValue(of: p7s))
        let hex = imprint.map { String(format: "%02x", $0) }.joined()
        let ts = try openssl.run([
            "ts", "-verify", "-digest", hex, "-in", "token.der", "-token_in",
            "-CAfile", "root.pem", "-untrusted", "tsa.pem",
        ])
        #expect(ts.status == 0, "\(ts.output)")
        #expect(ts.output.contains("Verification: OK"))
        let wrong = try openssl.run([
            "ts", "-verify", "-digest", String(repeating: "00", count: 32), "-in", "token.der", "-token_in",
            "-CAfile", "root.pem", "-untrusted", "tsa.pem",
        ])
        #expect(wrong.status != 0)

        let own = await CAdESSeal.verify(p7s: p7s, content: Self.document, trustAnchor: keys.root)
        #expect(own.outcome == .valid)
        #expect(own.hasSignatureTimeStamp)
    }

    @Test func sealOverADigestIsASealOverTheDocument() async throws {
        let keys = try EvidenceKeys.generate()
        let digest = Array(SHA256.hash(data: Self.document))
        let p7s = try await CAdESSeal(keys: keys).seal(sha256: digest, at: Date(), timeStampedBy: TimeStampAuthority(keys: keys))
        let cms = try Self.opensslVerify(p7s, content: Self.document, keys: keys)
        #expect(cms.status == 0, "\(cms.output)")
        let own = await CAdESSeal.verify(p7s: p7s, sha256: digest, trustAnchor: keys.root)
        #expect(own.outcome == .valid)
        let stampedAt = try #require(own.timeStampTime)
        #expect(abs(stampedAt.timeIntervalSinceNow) < 60)
        #expect(throws: EvidenceError.self) { try CAdESSeal(keys: keys).seal(sha256: [1, 2, 3], at: Date()) }
    }

    /// `openssl cms -verify -cades` of a detached seal over `content` against the keys' root.
    static func opensslVerify(_ p7s: [UInt8], content: [UInt8], keys: EvidenceKeys) throws -> (status: Int32, output: String) {
        let openssl = try OpenSSL()
        defer { openssl.cleanUp() }
        try keys.write(to: openssl.folder)
        try openssl.write(p7s, to: "doc.p7s")
        try openssl.write(content, to: "doc.pdf")
        let result = try openssl.run([
            "cms", "-verify", "-binary", "-inform", "DER", "-in", "doc.p7s", "-content", "doc.pdf",
            "-CAfile", "root.pem", "-purpose", "any", "-cades", "-out", "/dev/null",
        ])
        return (result.status, result.output)
    }

    @Test func tokenOverAnotherSignatureIsRejectedByOwnVerifier() async throws {
        let keys = try EvidenceKeys.generate()
        let tsa = TimeStampAuthority(keys: keys)
        let sealer = CAdESSeal(keys: keys)
        let p7s = try sealer.seal(Self.document, at: Date())
        let foreign = try tsa.timestamp(digest: [UInt8](repeating: 1, count: 32), at: Date())
        let stamped = try CAdESSeal.addingSignatureTimeStamp(token: foreign, to: p7s)
        let own = await CAdESSeal.verify(p7s: stamped, content: Self.document, trustAnchor: keys.root)
        #expect(own.outcome == .timeStampInvalid)
    }

    @Test func timestampedSealStillDetectsTamperedContent() async throws {
        let keys = try EvidenceKeys.generate()
        let p7s = try await CAdESSeal(keys: keys).seal(Self.document, at: Date(), timeStampedBy: TimeStampAuthority(keys: keys))
        let tampered = Self.document.flipping(at: 3)
        let openssl = try OpenSSL()
        defer { openssl.cleanUp() }
        try keys.write(to: openssl.folder)
        try openssl.write(p7s, to: "doc.p7s")
        try openssl.write(tampered, to: "doc.pdf")
        let cms = try openssl.run([
            "cms", "-verify", "-binary", "-inform", "DER", "-in", "doc.p7s", "-content", "doc.pdf",
            "-CAfile", "root.pem", "-purpose", "any", "-cades", "-out", "/dev/null",
        ])
        #expect(cms.status != 0)
        let own = await CAdESSeal.verify(p7s: p7s, content: tampered, trustAnchor: keys.root)
        #expect(own.outcome == .digestMismatch)
    }
}
