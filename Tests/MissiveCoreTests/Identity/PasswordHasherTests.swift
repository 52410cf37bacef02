import Foundation
@testable import MissiveCore
import Testing

extension IdentityTests {
    @Suite("PasswordHasher")
    struct PasswordHasherTests {
        /// N = 16, r = 1: fast enough for many hashes per test.
        static let cheap = PasswordHasher.Parameters(logN: 4, blockSize: 1, parallelism: 1)
        let hasher = PasswordHasher(parameters: cheap)
        let password = "correct horse battery staple"

        @Test("RFC 7914 §12 vectors verify as PHC strings (the minimum length is not enforced on verify)", arguments: [
            ("password", "$scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA"),
            ("pleaseletmein", "$scrypt$ln=14,r=8,p=1$U29kaXVtQ2hsb3JpZGU$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw"),
        ])
        func rfc7914(_ password: String, _ stored: String) {
            #expect(hasher.verify(password, against: stored))
            #expect(!hasher.verify(password + "x", against: stored))
            #expect(!hasher.verify(password.uppercased(), against: stored))
        }

        @Test("derive matches RFC 7914's raw output")
        func rawVector() throws {
            let derived = try #require(PasswordHasher.derive(
                "pleaseletmein", salt: Array("SodiumChloride".utf8),
                parameters: .init(logN: 14, blockSize: 8, parallelism: 1, outputByteCount: 64, saltByteCount: 14)))
            #expect(derived.hex == "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887")
        }

        @Test("a known PHC string made elsewhere (hashlib.scrypt) verifies")
        func knownString() {
            let stored = "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o"
            #expect(hasher.verify(password, against: stored))
            #expect(!hasher.verify("correct horse battery stapl", against: stored))
            #expect(!hasher.needsRehash(stored))
            #expect(PasswordHasher().needsRehash(stored))
        }

        @Test("hash → verify round trip; the same password salts to different strings")
        func roundTrip() throws {
            let first = try hasher.hash(password)
            let second = try hasher.hash(password)
            #expect(first != second)
            #expect(hasher.verify(password, against: first))
            #expect(hasher.verify(password, against: second))
            #expect(!hasher.verify("correct horse battery staplE", against: first))
            #expect(!hasher.verify("", against: first))
        }

        @Test("the default parameters write ln=15,r=8,p=1 with a 16-byte salt and a 32-byte hash")
        func defaultFormat() throws {
            let hasher = PasswordHasher()
            let stored = try hasher.hash(password)
            #expect(stored.hasPrefix("$scrypt$ln=15,r=8,p=1$"))
            let fields = stored.split(separator: "$", omittingEmptySubsequences: false)
            #expect(fields.count == 5)
            #expect(fields[3].count == 22)
            #expect(fields[4].count == 43)
            #expect(!fields[3].contains("=") && !fields[4].contains("="))
            let phc = try #require(ScryptPHCString(stored))
            #expect(phc.parameters == .default)
            #expect(phc.encoded == stored)
            #expect(hasher.verify(password, against: stored))
            #expect(!hasher.needsRehash(stored))
        }

        @Test("passwords are NFC-normalised: composed and decomposed forms are one password")
        func unicode() throws {
            let composed = "Grüezi mitenand, Zürich"
            let decomposed = "Gru\u{308}ezi mitenand, Zu\u{308}rich"
            #expect(Array(composed.utf8) != Array(decomposed.utf8))
            let stored = "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$vREaxlnTgj2Us1ZY+NytpgKbPQO0u0b7RX2QwagBiTk"
            #expect(hasher.verify(composed, against: stored))
            #expect(hasher.verify(decomposed, against: stored))
            let ours = try hasher.hash(decomposed)
            #expect(hasher.verify(composed, against: ours))
            #expect(!hasher.verify("Gruezi mitenand, Zurich", against: ours))
            let emoji = "🔐🗝️ pass phrase with emoji"
            #expect(hasher.verify(emoji, against: try hasher.hash(emoji)))
        }

        @Test("the policy refuses short and long passwords with invalidField, never echoing them")
        func policy() throws {
            for bad in ["", "short", "elevenbytes", String(repeating: "x", count: 1025), String(repeating: "é", count: 513), String(repeating: "y", count: 5_000_000)] {
                let error = try #require(throws: MissiveError.self) { try hasher.hash(bad) }
                #expect(error.code == .invalidField)
                #expect(error.pointer == "/password")
                if !bad.isEmpty {
                    #expect(!error.description.contains(bad))
                    #expect(!error.reason.contains(bad))
                }
            }
            _ = try hasher.hash(String(repeating: "x", count: 12))
            _ = try hasher.hash(String(repeating: "x", count: 1024))
            _ = try hasher.hash(String(repeating: "é", count: 6))
            // 1024 bytes only once composed: 512 × (e + U+0301) is 1536 bytes, NFC 1024.
            _ = try hasher.hash(String(repeating: "e\u{301}", count: 512))
        }

        @Test("verify refuses a password over the maximum without hashing it")
        func verifyTooLong() throws {
            let policy = PasswordPolicy(minimumBytes: 12, maximumBytes: 20)
            let hasher = PasswordHasher(parameters: Self.cheap, policy: policy)
            let stored = try hasher.hash(String(repeating: "a", count: 20))
            #expect(hasher.verify(String(repeating: "a", count: 20), against: stored))
            #expect(!hasher.verify(String(repeating: "a", count: 21), against: stored))
            #expect(!hasher.verify(String(repeating: "a", count: 10_000_000), against: stored))
        }

        @Test("malformed, foreign or hostile stored strings verify false and need a rehash", arguments: [
            "",
            "$",
            "$scrypt$",
            "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw",
            "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o$",
            "scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            "$SCRYPT$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$r=1,ln=4,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=4,r=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=+4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=-4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=٤,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=0,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=99999,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=40,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=20,r=32,p=16$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=4,r=0,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=4,r=1,p=0$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=4,r=1,p=1$$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$",
            "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw==$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODx$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0OD$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=4,r=1,p=1$AAECAwQF-gcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/p",
            "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhW",
            "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$" + String(repeating: "A", count: 100),
            "$scrypt$ln=4,r=1,p=1$" + String(repeating: "A", count: 100) + "$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o" + String(repeating: " ", count: 1_000),
            " $scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o",
            "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/é",
        ])
        func malformed(_ stored: String) {
            #expect(!hasher.verify(password, against: stored))
            #expect(hasher.needsRehash(stored))
            #expect(ScryptPHCString(stored) == nil)
        }

        @Test("a well-formed string with another salt or hash verifies false but needs no rehash")
        func wrongButWellFormed() throws {
            let stored = "$scrypt$ln=4,r=1,p=1$AAECAwQFBgcICQoLDA0ODw$rq9CaAQyqN/0QXhWUwu9Fo41aqIxGX0LJsY5yCllu/o"
            let otherHash = stored.replacingOccurrences(of: "rq9Ca", with: "rq9Cb")
            let otherSalt = stored.replacingOccurrences(of: "AAECAw", with: "AAECBw")
            let otherCost = stored.replacingOccurrences(of: "ln=4", with: "ln=5")
            for tampered in [otherHash, otherSalt, otherCost] {
                #expect(ScryptPHCString(tampered) != nil)
                #expect(!hasher.verify(password, against: tampered))
                #expect(!hasher.needsRehash(tampered))
            }
            #expect(hasher.verify(password, against: stored))
        }

        @Test("a megabyte of junk as the stored string verifies false")
        func hugeStored() {
            let junk = "$scrypt$ln=4,r=1,p=1$" + String(repeating: "QUFB", count: 250_000) + "$" + String(repeating: "QUFB", count: 250_000)
            #expect(!hasher.verify(password, against: junk))
            #expect(hasher.needsRehash(junk))
        }

        @Test("needsRehash: any parameter weaker than the current ones")
        func needsRehash() throws {
            let current = PasswordHasher.Parameters(logN: 6, blockSize: 2, parallelism: 2, outputByteCount: 32, saltByteCount: 16)
            let hasher = PasswordHasher(parameters: current)
            #expect(!hasher.needsRehash(try hasher.hash(password)))
            let weaker: [PasswordHasher.Parameters] = [
                .init(logN: 5, blockSize: 2, parallelism: 2), .init(logN: 6, blockSize: 1, parallelism: 2),
                .init(logN: 6, blockSize: 2, parallelism: 1), .init(logN: 6, blockSize: 2, parallelism: 2, outputByteCount: 16),
                .init(logN: 6, blockSize: 2, parallelism: 2, saltByteCount: 8),
            ]
            for parameters in weaker {
                let old = try PasswordHasher(parameters: parameters).hash(password)
                #expect(hasher.needsRehash(old))
                #expect(hasher.verify(password, against: old))
            }
            let stronger = try PasswordHasher(parameters: .init(logN: 7, blockSize: 2, parallelism: 2, outputByteCount: 64, saltByteCount: 32)).hash(password)
            #expect(!hasher.needsRehash(stronger))
            #expect(hasher.verify(password, against: stronger))
        }

        @Test("dummyVerify runs for known and unknown shapes of password without trapping")
        func dummyVerify() {
            for password in ["", "x", password, String(repeating: "z", count: 2_000), "e\u{301}"] {
                hasher.dummyVerify(password)
            }
            #expect(hasher.parameters == Self.cheap)
        }

        @Test("parameter limits: the defaults are within, absurd ones are not")
        func limits() {
            #expect(PasswordHasher.Parameters.default.isWithinLimits)
            #expect(PasswordHasher.Parameters(logN: 20, blockSize: 8, parallelism: 1).isWithinLimits)
            #expect(!PasswordHasher.Parameters(logN: 21, blockSize: 8, parallelism: 1).isWithinLimits)
            #expect(!PasswordHasher.Parameters(logN: 20, blockSize: 8, parallelism: 2).isWithinLimits)
            #expect(!PasswordHasher.Parameters(outputByteCount: 15).isWithinLimits)
            #expect(!PasswordHasher.Parameters(outputByteCount: 65).isWithinLimits)
            #expect(!PasswordHasher.Parameters(saltByteCount: 0).isWithinLimits)
        }
    }
}
