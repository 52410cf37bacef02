import Foundation
import MissiveEvidence
import Testing

@Suite("RFC 3161 TSA, checked against openssl ts")
struct TimeStampAuthorityTests {
    /// Creates a query with openssl, answers it, and returns the scratch folder.
    private func answer(
        _ queryArguments: [String],
        keys: EvidenceKeys,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> OpenSSL {
        let openssl = try OpenSSL()
        try keys.write(to: openssl.folder)
        try openssl.write(Array("Missive letter body".utf8), to: "file")
        let query = try openssl.run(["ts", "-query", "-data", "file"] + queryArguments + ["-out", "req.tsq"])
        #expect(query.status == 0, "\(query.output)", sourceLocation: sourceLocation)
        let response = TimeStampAuthority(keys: keys).respond(to: try openssl.read("req.tsq"), at: Date())
        try openssl.write(response, to: "resp.tsr")
        return openssl
    }

    @Test func grantedResponseVerifiesWithOpenSSL() throws {
        let keys = try EvidenceKeys.generate()
        let openssl = try answer(["-sha256", "-cert"], keys: keys)
        defer { openssl.cleanUp() }
        let text = try openssl.run(["ts", "-reply", "-in", "resp.tsr", "-text"])
        #expect(text.status == 0)
        #expect(text.output.contains("Status: Granted."))
        #expect(text.output.contains("Policy OID: 1.3.6.1.4.1.57264.1.1"))
        #expect(text.output.contains("Accuracy: 0x01 seconds"))
        let verify = try openssl.run([
            "ts", "-verify", "-in", "resp.tsr", "-queryfile", "req.tsq", "-CAfile", "root.pem",
        ])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("Verification: OK"))
    }

    @Test func responseWithoutCertificatesVerifiesWithUntrustedTSA() throws {
        let keys = try EvidenceKeys.generate()
        let openssl = try answer(["-sha256"], keys: keys)
        defer { openssl.cleanUp() }
        let verify = try openssl.run([
            "ts", "-verify", "-in", "resp.tsr", "-queryfile", "req.tsq", "-CAfile", "root.pem",
            "-untrusted", "tsa.pem",
        ])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("Verification: OK"))
    }

    @Test(arguments: ["-sha384", "-sha512"])
    func longerHashesAreGranted(_ hash: String) throws {
        let keys = try EvidenceKeys.generate()
        let openssl = try answer([hash, "-cert"], keys: keys)
        defer { openssl.cleanUp() }
        let verify = try openssl.run([
            "ts", "-verify", "-in", "resp.tsr", "-queryfile", "req.tsq", "-CAfile", "root.pem",
        ])
        #expect(verify.status == 0, "\(verify.output)")
    }

    @Test func tokenFromAnotherRootFailsVerification() throws {
        let keys = try EvidenceKeys.generate()
        let openssl = try answer(["-sha256", "-cert"], keys: keys)
        defer { openssl.cleanUp() }
        try EvidenceKeys.generate().write(to: openssl.folder.appendingPathComponent("other"))
        let verify = try openssl.run([
            "ts", "-verify", "-in", "resp.tsr", "-queryfile", "req.tsq", "-CAfile", "other/root.pem",
        ])
        #expect(verify.status != 0)
    }

    @Test func sha1IsRejectedWithBadAlg() throws {
        let keys = try EvidenceKeys.generate()
        let openssl = try answer(["-sha1", "-cert"], keys: keys)
        defer { openssl.cleanUp() }
        let text = try openssl.run(["ts", "-reply", "-in", "resp.tsr", "-text"])
        #expect(text.status == 0, "\(text.output)")
        #expect(text.output.contains("Status: Rejected."))
        #expect(text.output.contains("unrecognized or unsupported algorithm identifier"))
        #expect(text.output.contains("TST info:\nNot included."))
    }

    @Test func truncatedRequestIsRejectedWithBadDataFormat() throws {
        let keys = try EvidenceKeys.generate()
        let openssl = try OpenSSL()
        defer { openssl.cleanUp() }
        try openssl.write(Array("Missive letter body".utf8), to: "file")
        try openssl.run(["ts", "-query", "-data", "file", "-sha256", "-cert", "-out", "req.tsq"])
        let request = try openssl.read("req.tsq")
        let response = TimeStampAuthority(keys: keys).respond(to: Array(request.dropLast(5)), at: Date())
        try openssl.write(response, to: "resp.tsr")
        let text = try openssl.run(["ts", "-reply", "-in", "resp.tsr", "-text"])
        #expect(text.status == 0, "\(text.output)")
        #expect(text.output.contains("Status: Rejected."))
        #expect(text.output.contains("the data submitted has the wrong format"))
    }

    @Test func foreignPolicyIsRejected() throws {
        let keys = try EvidenceKeys.generate()
        let openssl = try answer(["-sha256", "-tspolicy", "1.2.3.4"], keys: keys)
        defer { openssl.cleanUp() }
        let text = try openssl.run(["ts", "-reply", "-in", "resp.tsr", "-text"])
        #expect(text.output.contains("Status: Rejected."))
        #expect(text.output.contains("the requested TSA policy is not supported"))
    }

    @Test func serialNumbersAreUnique() throws {
        let keys = try EvidenceKeys.generate()
        let tsa = TimeStampAuthority(keys: keys)
        let digest = [UInt8](repeating: 7, count: 32)
        let first = try tsa.timestamp(digest: digest, at: Date())
        let second = try tsa.timestamp(digest: digest, at: Date())
        #expect(first != second)
        #expect(throws: EvidenceError(.malformedStructure, "")) {
            try tsa.timestamp(digest: [1, 2, 3], at: Date())
        }
    }
}
