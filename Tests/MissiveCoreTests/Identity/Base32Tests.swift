import Foundation
import MissiveCore
import Testing

extension IdentityTests {
    @Suite("Base32")
    struct Base32Tests {
        /// RFC 4648 §10, padding removed for encoding.
        static let vectors: [(String, String)] = [
            ("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="),
            ("foob", "MZXW6YQ="), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======"),
        ]

        @Test("RFC 4648 §10 vectors: encode without padding, decode with or without")
        func rfc4648() {
            for (plain, encoded) in Self.vectors {
                let unpadded = encoded.replacingOccurrences(of: "=", with: "")
                #expect(Base32.encode(Array(plain.utf8)) == unpadded)
                #expect(Base32.decode(encoded) == Array(plain.utf8))
                #expect(Base32.decode(unpadded) == Array(plain.utf8))
            }
        }

        @Test("decoding ignores case and spaces")
        func tolerant() {
            let foobar = Array("foobar".utf8)
            #expect(Base32.decode("mzxw6ytboi") == foobar)
            #expect(Base32.decode("MzXw 6yTb Oi") == foobar)
            #expect(Base32.decode("  MZXW6YTBOI  ") == foobar)
            #expect(Base32.decode("MZXW 6YTB OI== ====") == foobar)
        }

        @Test("decoding refuses what no encoder writes", arguments: [
            "MZXW6YTB1",       // 1 is not in the alphabet
            "MZXW6YTB0I",      // nor 0
            "MZXW8YTB",        // nor 8
            "MZ=XW6YTB",       // padding inside
            "=MZXW6YTB",
            "M",               // 1, 3 and 6 symbols encode no whole bytes
            "MZX",
            "MZXW6Y",
            "MZ======X",
            "MZ\tXQ",          // only spaces are ignored
            "MZXW6YTBOI\n",
            "MZXW-6YTB",
            "MZXWÖYTB",
            "MZXWＡYTB",        // fullwidth A
            "MZ",              // canonical form of "f" is MY: unused bits must be zero
            "MZXR",            // "fo" is MZXQ
        ])
        func refuses(_ text: String) {
            #expect(Base32.decode(text) == nil)
        }

        @Test("all byte values round-trip, at every length 0…40")
        func roundTrip() {
            let bytes = (0...255).map(UInt8.init)
            for length in 0...40 {
                let slice = Array(bytes.shuffled().prefix(length))
                let encoded = Base32.encode(slice)
                #expect(encoded.count == (length * 8 + 4) / 5)
                #expect(Base32.decode(encoded) == slice)
                #expect(Base32.decode(encoded.lowercased()) == slice)
            }
            #expect(Base32.decode(Base32.encode(bytes)) == bytes)
        }

        @Test("a megabyte decodes, and a megabyte with one bad symbol is refused")
        func huge() {
            let big = String(repeating: "MZXW6YTB", count: 131_072)
            #expect(Base32.decode(big)?.count == 655_360)
            #expect(Base32.decode(big + "8") == nil)
        }
    }
}
