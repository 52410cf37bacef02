import Crypto
import Foundation
import MissiveEvidence
import Testing

@Suite("CAdES-B-T: seal with signature time-stamp")
struct SignatureTimeStampTests {
    static let document = [UInt8]("%PDF-1.7\nMissive registered letter\n%%EOF\n".utf8)

    @Test func timestampedSealVerifiesAndItsTokenVerifies() async throws {
        let keys = try EvidenceKeys.generate()
        let p7s = try CAdESSeal(keys: keys).seal(Self.document, at: Date(), timeStampedBy: TimeStampAuthority(keys: keys))
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
        let p7s = try CAdESSeal(keys: keys).seal(Self.document, at: Date(), timeStampedBy: TimeStampAuthority(keys: keys))
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
