import Foundation
import MissiveEvidence
import Testing

@Suite("CAdES-B seal, checked against openssl cms -cades")
struct CAdESSealTests {
    static let document = [UInt8]("%PDF-1.7\nMissive test letter\n%%EOF\n".utf8)

    /// Writes keys, a seal and the document, returning the scratch folder.
    private func prepare(_ keys: EvidenceKeys, p7s: [UInt8], content: [UInt8]) throws -> OpenSSL {
        let openssl = try OpenSSL()
        try keys.write(to: openssl.folder)
        try openssl.write(p7s, to: "doc.p7s")
        try openssl.write(content, to: "doc.pdf")
        return openssl
    }

    private func cmsVerify(_ openssl: OpenSSL) throws -> OpenSSL.Run {
        try openssl.run([
            "cms", "-verify", "-binary", "-inform", "DER", "-in", "doc.p7s", "-content", "doc.pdf",
            "-CAfile", "root.pem", "-purpose", "any", "-cades", "-out", "/dev/null",
        ])
    }

    @Test func sealVerifiesWithOpenSSLAndOwnVerifier() async throws {
        let keys = try EvidenceKeys.generate()
        let p7s = try CAdESSeal(keys: keys).seal(Self.document, at: Date())
        let openssl = try prepare(keys, p7s: p7s, content: Self.document)
        defer { openssl.cleanUp() }
        let run = try cmsVerify(openssl)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("Verification successful"))
        let own = await CAdESSeal.verify(p7s: p7s, content: Self.document, trustAnchor: keys.root)
        #expect(own.outcome == .valid)
        #expect(own.signer == keys.seal)
        #expect(own.signingTime != nil)
    }

    @Test func tamperedContentFailsInBoth() async throws {
        let keys = try EvidenceKeys.generate()
        let p7s = try CAdESSeal(keys: keys).seal(Self.document, at: Date())
        let tampered = Self.document.flipping(at: 10)
        let openssl = try prepare(keys, p7s: p7s, content: tampered)
        defer { openssl.cleanUp() }
        let run = try cmsVerify(openssl)
        #expect(run.status != 0)
        let own = await CAdESSeal.verify(p7s: p7s, content: tampered, trustAnchor: keys.root)
        #expect(own.outcome == .digestMismatch)
    }

    @Test func tamperedSignatureFailsInBoth() async throws {
        let keys = try EvidenceKeys.generate()
        let p7s = try CAdESSeal(keys: keys).seal(Self.document, at: Date())
        let signature = try CAdESSeal.signatureValue(of: p7s)
        // The ECDSA value sits near the end; flip a byte inside its r integer.
        let start = try #require(p7s.lastRange(of: signature)).lowerBound
        let tampered = p7s.flipping(at: start + 8)
        let openssl = try prepare(keys, p7s: tampered, content: Self.document)
        defer { openssl.cleanUp() }
        let run = try cmsVerify(openssl)
        #expect(run.status != 0)
        let own = await CAdESSeal.verify(p7s: tampered, content: Self.document, trustAnchor: keys.root)
        #expect(own.outcome == .signatureInvalid)
    }

    @Test func foreignTrustAnchorIsAChainFailure() async throws {
        let keys = try EvidenceKeys.generate()
        let other = try EvidenceKeys.generate()
        let p7s = try CAdESSeal(keys: keys).seal(Self.document, at: Date())
        let own = await CAdESSeal.verify(p7s: p7s, content: Self.document, trustAnchor: other.root)
        #expect(own.outcome == .chainInvalid)
        let openssl = try prepare(other, p7s: p7s, content: Self.document)
        defer { openssl.cleanUp() }
        #expect(try cmsVerify(openssl).status != 0)
    }

    @Test func garbageIsMalformed() async throws {
        let root = try EvidenceKeys.generate().root
        let own = await CAdESSeal.verify(p7s: [0x30, 0x03, 0x02, 0x01], content: Self.document, trustAnchor: root)
        #expect(own.outcome == .malformed)
        #expect(throws: EvidenceError(.malformedStructure, "")) { try CAdESSeal.signatureValue(of: [0x05, 0x00]) }
    }

    @Test(arguments: [1_780_000_000.25, 2_556_144_000.5])
    func signingTimeUsesUTCTimeOrGeneralizedTime(_ seconds: Double) async throws {
        let keys = try EvidenceKeys.generate()
        let time = Date(timeIntervalSince1970: seconds)
        let p7s = try CAdESSeal(keys: keys).seal(Self.document, at: time)
        let own = await CAdESSeal.verify(p7s: p7s, content: Self.document, trustAnchor: keys.root)
        #expect(own.outcome == .valid)
        #expect(own.signingTime == Date(timeIntervalSince1970: seconds.rounded(.down)))
        let openssl = try prepare(keys, p7s: p7s, content: Self.document)
        defer { openssl.cleanUp() }
        #expect(try cmsVerify(openssl).status == 0)
        let dump = try openssl.run(["cms", "-cmsout", "-print", "-inform", "DER", "-in", "doc.p7s"])
        #expect(dump.output.contains(seconds < 2_524_608_000 ? "UTCTIME:" : "GENERALIZEDTIME:"))
    }
}

extension Array where Element == UInt8 {
    /// The range of the last occurrence of `needle`.
    func lastRange(of needle: [UInt8]) -> Range<Int>? {
        guard needle.count <= count else { return nil }
        for start in stride(from: count - needle.count, through: 0, by: -1)
        where self[start..<(start + needle.count)].elementsEqual(needle) {
            return start..<(start + needle.count)
        }
        return nil
    }
}
