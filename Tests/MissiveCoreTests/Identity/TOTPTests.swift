import Foundation
@testable import MissiveCore
import Testing

extension IdentityTests {
    @Suite("TOTP")
    struct TOTPTests {
        static let sha1Secret = Array("12345678901234567890".utf8)
        static let sha256Secret = Array("12345678901234567890123456789012".utf8)
        static let sha512Secret = Array("1234567890123456789012345678901234567890123456789012345678901234".utf8)

        /// RFC 6238 Appendix B: time, then the SHA1, SHA256 and SHA512 codes (8 digits).
        static let appendixB: [(TimeInterval, String, String, String)] = [
            (59, "94287082", "46119246", "90693936"),
            (1_111_111_109, "07081804", "68084774", "25091201"),
            (1_111_111_111, "14050471", "67062674", "99943326"),
            (1_234_567_890, "89005924", "91819424", "93441116"),
            (2_000_000_000, "69279037", "90698825", "38618901"),
            (20_000_000_000, "65353130", "77737706", "47863826"),
        ]

        let totp: TOTP

        init() throws {
            totp = try TOTP(secret: Self.sha1Secret)
        }

        @Test("RFC 6238 Appendix B vectors, all three algorithms")
        func rfc6238() throws {
            let sha1 = try TOTP(secret: Self.sha1Secret, algorithm: .sha1, digits: 8)
            let sha256 = try TOTP(secret: Self.sha256Secret, algorithm: .sha256, digits: 8)
            let sha512 = try TOTP(secret: Self.sha512Secret, algorithm: .sha512, digits: 8)
            for (time, code1, code256, code512) in Self.appendixB {
                let date = Date(timeIntervalSince1970: time)
                #expect(sha1.generate(at: date) == code1)
                #expect(sha256.generate(at: date) == code256)
                #expect(sha512.generate(at: date) == code512)
                #expect(sha1.verify(code: code1, at: date, lastUsedStep: nil) == Int(time) / 30)
                #expect(sha256.verify(code: code256, at: date, lastUsedStep: nil) == Int(time) / 30)
                #expect(sha512.verify(code: code512, at: date, lastUsedStep: nil) == Int(time) / 30)
                #expect(sha1.verify(code: code256, at: date, lastUsedStep: nil) == nil)
            }
        }

        @Test("RFC 4226 Appendix D HOTP values are the codes of steps 0…9")
        func rfc4226() {
            let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
            for (step, code) in expected.enumerated() {
                #expect(totp.code(forStep: step) == code)
            }
        }

        @Test("steps: 30 s each from the epoch; before it, and non-finite times, are step 0")
        func steps() throws {
            #expect(totp.step(at: Date(timeIntervalSince1970: 0)) == 0)
            #expect(totp.step(at: Date(timeIntervalSince1970: 29.999)) == 0)
            #expect(totp.step(at: Date(timeIntervalSince1970: 30)) == 1)
            #expect(totp.step(at: Date(timeIntervalSince1970: 59)) == 1)
            #expect(totp.step(at: Date(timeIntervalSince1970: -1_000)) == 0)
            #expect(totp.step(at: Date(timeIntervalSince1970: .infinity)) == 0)
            #expect(totp.step(at: Date(timeIntervalSince1970: .nan)) == 0)
            #expect(try TOTP(secret: Self.sha1Secret, period: 60).step(at: Date(timeIntervalSince1970: 119)) == 1)
            #expect(totp.step(at: .distantFuture) > 0)
            #expect(totp.generate(at: .distantPast) == totp.code(forStep: 0))
        }

        @Test("verify accepts one step either side and no further")
        func window() {
            let now = Date(timeIntervalSince1970: 1_700_000_015)
            let step = totp.step(at: now)
            for offset in -1...1 {
                #expect(totp.verify(code: totp.code(forStep: step + offset), at: now, lastUsedStep: nil) == step + offset)
            }
            for offset in [-3, -2, 2, 3] {
                #expect(totp.verify(code: totp.code(forStep: step + offset), at: now, lastUsedStep: nil) == nil)
            }
            // The edges of a step: at its first and last second the neighbours still count.
            let first = Date(timeIntervalSince1970: TimeInterval(step * 30))
            let last = Date(timeIntervalSince1970: TimeInterval(step * 30 + 29))
            #expect(totp.verify(code: totp.code(forStep: step - 1), at: first, lastUsedStep: nil) == step - 1)
            #expect(totp.verify(code: totp.code(forStep: step + 1), at: last, lastUsedStep: nil) == step + 1)
            #expect(totp.verify(code: totp.code(forStep: step - 1), at: last.addingTimeInterval(1), lastUsedStep: nil) == nil)
        }

        @Test("a used step, and any earlier one, is refused: no replay")
        func replay() {
            let now = Date(timeIntervalSince1970: 1_700_000_015)
            let step = totp.step(at: now)
            let code = totp.generate(at: now)
            let used = totp.verify(code: code, at: now, lastUsedStep: nil)
            #expect(used == step)
            #expect(totp.verify(code: code, at: now, lastUsedStep: used) == nil)
            #expect(totp.verify(code: code, at: now.addingTimeInterval(30), lastUsedStep: used) == nil)
            #expect(totp.verify(code: totp.code(forStep: step - 1), at: now, lastUsedStep: used) == nil)
            #expect(totp.verify(code: totp.code(forStep: step + 1), at: now, lastUsedStep: used) == step + 1)
            #expect(totp.verify(code: code, at: now, lastUsedStep: step - 1) == step)
        }

        @Test("malformed codes are refused", arguments: [
            "", "12345", "1234567", "12345a", "abcdef", "-12345", "+12345", "１２３４５６", "12345\u{0}6",
        ])
        func malformed(_ code: String) {
            #expect(totp.verify(code: code, at: Date(timeIntervalSince1970: 59), lastUsedStep: nil) == nil)
        }

        @Test("a megabyte of digits, or of spaces around a right code, is refused")
        func huge() {
            let date = Date(timeIntervalSince1970: 59)
            #expect(totp.verify(code: String(repeating: "1", count: 1_000_000), at: date, lastUsedStep: nil) == nil)
            let padded = String(repeating: " ", count: 1_000_000) + totp.generate(at: date)
            #expect(totp.verify(code: padded, at: date, lastUsedStep: nil) == nil)
        }

        @Test("spaces in a typed code are ignored")
        func spaces() {
            let date = Date(timeIntervalSince1970: 1_111_111_111)
            let code = totp.generate(at: date)
            let spaced = String(code.prefix(3)) + " " + String(code.dropFirst(3))
            #expect(totp.verify(code: " " + spaced + " ", at: date, lastUsedStep: nil) == totp.step(at: date))
        }

        @Test("codes keep their leading zeros")
        func leadingZeros() throws {
            let sha1 = try TOTP(secret: Self.sha1Secret, digits: 8)
            #expect(sha1.generate(at: Date(timeIntervalSince1970: 1_111_111_109)) == "07081804")
            #expect(sha1.verify(code: "7081804", at: Date(timeIntervalSince1970: 1_111_111_109), lastUsedStep: nil) == nil)
            let codes = (0..<300).map(totp.code(forStep:))
            #expect(codes.allSatisfy { $0.count == 6 })
            #expect(codes.contains { $0.hasPrefix("0") })
        }

        @Test("short or huge secrets, odd digits and periods are refused with invalidField")
        func badConfiguration() throws {
            let cases: [(secret: [UInt8], digits: Int, period: Int)] = [
                ([], 6, 30), ([UInt8](repeating: 1, count: 15), 6, 30), ([UInt8](repeating: 1, count: 1025), 6, 30),
                (Self.sha1Secret, 5, 30), (Self.sha1Secret, 9, 30), (Self.sha1Secret, 6, 0), (Self.sha1Secret, 6, 301), (Self.sha1Secret, 6, -30),
            ]
            for (secret, digits, period) in cases {
                let error = try #require(throws: MissiveError.self) { try TOTP(secret: secret, digits: digits, period: period) }
                #expect(error.code == .invalidField)
            }
            #expect(try TOTP(secret: [UInt8](repeating: 1, count: 16)).digits == 6)
            #expect(try TOTP(secret: Self.sha512Secret, digits: 8, period: 300).period == 300)
        }

        @Test("generated secrets are 20 random bytes and round-trip through base32")
        func secrets() {
            let secrets = (0..<100).map { _ in TOTP.generateSecret() }
            #expect(secrets.allSatisfy { $0.count == 20 })
            #expect(Set(secrets).count == 100)
            for secret in secrets {
                #expect(Base32.decode(Base32.encode(secret)) == secret)
                #expect(Base32.encode(secret).count == 32)
            }
        }

        @Test("provisioning URI: label, base32 secret, issuer and the three parameters")
        func provisioning() throws {
            #expect(totp.provisioningURI(issuer: "Missive", account: "anna@example.ch")
                == "otpauth://totp/Missive:anna%40example.ch?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Missive&algorithm=SHA1&digits=6&period=30")
            let sha512 = try TOTP(secret: [UInt8](repeating: 0xFF, count: 16), algorithm: .sha512, digits: 8, period: 60)
            #expect(sha512.provisioningURI(issuer: "", account: "anna")
                == "otpauth://totp/anna?secret=77777777777777777777777774&algorithm=SHA512&digits=8&period=60")
        }

        @Test("provisioning URI percent-encodes separators, spaces and Unicode in issuer and account")
        func provisioningEncoding() {
            let uri = totp.provisioningURI(issuer: "Post & Co: Zürich", account: "a b/c?d#e:f+g%h")
            #expect(uri.hasPrefix("otpauth://totp/Post%20%26%20Co%3A%20Z%C3%BCrich:a%20b%2Fc%3Fd%23e%3Af%2Bg%25h?secret="))
            #expect(uri.hasSuffix("&issuer=Post%20%26%20Co%3A%20Z%C3%BCrich&algorithm=SHA1&digits=6&period=30"))
            #expect(uri.filter { $0 == ":" }.count == 2)
            #expect(uri.filter { $0 == "?" }.count == 1)
            #expect(uri.allSatisfy { $0.isASCII })
            #expect(URL(string: uri) != nil)
            #expect(TOTP.percentEncoded("AZaz09-._~") == "AZaz09-._~")
            #expect(TOTP.percentEncoded("\u{0}\n") == "%00%0A")
        }
    }
}
