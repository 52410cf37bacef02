import Crypto
import Foundation
import MissiveCore
import Testing

extension IdentityTests {
    @Suite("VerificationCode")
    struct VerificationCodeTests {
        static let alphabet = Set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
        let hasher = VerificationCodeHasher(key: SymmetricKey(data: [UInt8](repeating: 7, count: 32)))
        let issued = Date(timeIntervalSince1970: 1_700_000_000)

        @Test("generate: XXXX-XXXX from the unambiguous alphabet, no 0/O/1/I/L")
        func generate() {
            let codes = (0..<2_000).map { _ in VerificationCode.generate() }
            #expect(Set(codes).count == codes.count)
            for code in codes {
                #expect(code.count == 9)
                #expect(Array(code)[4] == "-")
                #expect(code.filter { $0 != "-" }.allSatisfy(Self.alphabet.contains))
            }
            #expect(Set(codes.joined().filter { $0 != "-" }) == Self.alphabet)
        }

        @Test("normalise tolerates case, spaces and dashes")
        func normalise() {
            for typed in ["ABCD-EFGH", "abcd-efgh", "abcdefgh", "AB CD EF GH", " abcd - efgh ", "ABCD—EFGH", "A-B-C-D-E-F-G-H", "abcd\tefgh"] {
                #expect(VerificationCode.normalise(typed) == "ABCDEFGH")
            }
            let code = VerificationCode.generate()
            #expect(VerificationCode.normalise(code) == code.replacingOccurrences(of: "-", with: ""))
        }

        @Test("normalise returns nil for anything else", arguments: [
            "", "-", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGO", "ABCD-EFG1", "ABCD-EFGI", "ABCD-EFGL",
            "abcd-efgl", "ABCD_EFGH", "ABCD.EFGH", "ABCD/EFGH", "ÄBCD-EFGH", "ＡBCD-EFGH", "ABCD-EFGß", "ABCDEFG\u{0}H",
            "ABCD-EFGH-ABCD-EFGH",
        ])
        func refuses(_ input: String) {
            #expect(VerificationCode.normalise(input) == nil)
            #expect(hasher.hash(input, context: "org_1") == nil)
        }

        @Test("ten megabytes of input are refused")
        func huge() {
            let huge = String(repeating: "A", count: 10_000_000)
            #expect(VerificationCode.normalise(huge) == nil)
            #expect(hasher.hash(huge, context: "org_1") == nil)
        }

        @Test("hash: keyed, bound to its context, the same for every way of typing the code")
        func hash() throws {
            let stored = try #require(hasher.hash("ABCD-EFGH", context: "org_1"))
            #expect(stored.count == 64)
            #expect(hasher.hash("abcd efgh", context: "org_1") == stored)
            #expect(hasher.hash("ABCD-EFGH", context: "org_2") != stored)
            #expect(hasher.hash("ABCD-EFGJ", context: "org_1") != stored)
            let otherKey = VerificationCodeHasher(key: SymmetricKey(data: [UInt8](repeating: 8, count: 32)))
            #expect(otherKey.hash("ABCD-EFGH", context: "org_1") != stored)
            // Not an unkeyed hash of the code.
            #expect(stored != SHA256.hash(data: Array("ABCDEFGH".utf8)).hex)
            // A known value, so the stored form cannot change unnoticed.
            let expected = HMAC<SHA256>.authenticationCode(
                for: Array("missive.verification-code.v1\0org_1\0ABCDEFGH".utf8),
                using: SymmetricKey(data: [UInt8](repeating: 7, count: 32)))
            #expect(stored == Array(expected).hex)
        }

        @Test("matches: right code yes; wrong code, other context, junk stored hash no")
        func matches() throws {
            let code = VerificationCode.generate()
            let stored = try #require(hasher.hash(code, context: "org_1"))
            #expect(hasher.matches(code.lowercased(), storedHash: stored, context: "org_1"))
            #expect(!hasher.matches(code, storedHash: stored, context: "org_2"))
            #expect(!hasher.matches(code, storedHash: stored.uppercased(), context: "org_1"))
            #expect(!hasher.matches(code, storedHash: "", context: "org_1"))
            #expect(!hasher.matches(code, storedHash: String(stored.dropLast()), context: "org_1"))
            #expect(!hasher.matches("", storedHash: stored, context: "org_1"))
            let other = code == "ABCD-EFGH" ? "ABCD-EFGJ" : "ABCD-EFGH"
            #expect(!hasher.matches(other, storedHash: stored, context: "org_1"))
        }

        @Test("expiry: valid for 30 days, expired from the second they end")
        func expiry() {
            #expect(VerificationCode.defaultLifetime == 2_592_000)
            #expect(!VerificationCode.isExpired(issuedAt: issued, now: issued))
            #expect(!VerificationCode.isExpired(issuedAt: issued, now: issued.addingTimeInterval(2_591_999)))
            #expect(VerificationCode.isExpired(issuedAt: issued, now: issued.addingTimeInterval(2_592_000)))
            #expect(VerificationCode.isExpired(issuedAt: issued, now: issued.addingTimeInterval(3_600), lifetime: 3_600))
            #expect(!VerificationCode.isExpired(issuedAt: issued, now: issued.addingTimeInterval(-60)))
        }

        @Test("check: verified, wrong code, or expired whatever was typed")
        func check() throws {
            let stored = try #require(hasher.hash("WXYZ-2345", context: "org_9"))
            let inTime = issued.addingTimeInterval(86_400)
            let late = issued.addingTimeInterval(31 * 86_400)
            #expect(hasher.check("wxyz 2345", storedHash: stored, context: "org_9", issuedAt: issued, now: inTime) == .verified)
            #expect(hasher.check("WXYZ-2346", storedHash: stored, context: "org_9", issuedAt: issued, now: inTime) == .wrongCode)
            #expect(hasher.check("WXYZ-2345", storedHash: stored, context: "org_8", issuedAt: issued, now: inTime) == .wrongCode)
            #expect(hasher.check("not a code", storedHash: stored, context: "org_9", issuedAt: issued, now: inTime) == .wrongCode)
            #expect(hasher.check("WXYZ-2345", storedHash: stored, context: "org_9", issuedAt: issued, now: late) == .expired)
            #expect(hasher.check("WXYZ-2346", storedHash: stored, context: "org_9", issuedAt: issued, now: late) == .expired)
            #expect(hasher.check("WXYZ-2345", storedHash: stored, context: "org_9", issuedAt: issued, now: inTime, lifetime: 3_600) == .expired)
        }
    }
}
