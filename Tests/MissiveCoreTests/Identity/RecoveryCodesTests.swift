import Foundation
import MissiveCore
import Testing

extension IdentityTests {
    @Suite("RecoveryCodes")
    struct RecoveryCodesTests {
        static let alphabet = Set("23456789abcdefghjkmnpqrstuvwxyz")

        @Test("ten distinct codes, xxxxx-xxxxx, from the unambiguous alphabet")
        func generate() {
            let codes = RecoveryCodes.generate()
            #expect(codes.count == 10)
            #expect(Set(codes).count == 10)
            for code in codes {
                #expect(code.count == 11)
                #expect(code[code.index(code.startIndex, offsetBy: 5)] == "-")
                #expect(code.filter { $0 != "-" }.allSatisfy(Self.alphabet.contains))
                #expect(RecoveryCodes.normalise(code) == code.replacingOccurrences(of: "-", with: "").uppercased())
            }
            #expect(RecoveryCodes.generate(count: 3).count == 3)
            #expect(RecoveryCodes.generate(count: 0).isEmpty)
        }

        @Test("over many sets every symbol of the alphabet appears, and no ambiguous one")
        func alphabetUsed() {
            let codes: [String] = (0..<200).flatMap { _ in RecoveryCodes.generate() }
            let symbols = Set(codes.joined().filter { $0 != "-" })
            #expect(symbols == Self.alphabet)
        }

        @Test("the normaliser ignores case, spaces and dashes")
        func normalise() {
            for typed in ["abcde-fghjk", "ABCDE-FGHJK", "abcdefghjk", "ABCDE FGHJK", " a-b-c-d-e f g h j k ", "abcde–fghjk", "AbCdE\u{00A0}fGhJk"] {
                #expect(RecoveryCodes.normalise(typed) == "ABCDEFGHJK")
            }
        }

        @Test("the normaliser refuses anything else", arguments: [
            "", "-----", "abcde-fghj", "abcde-fghjkm", "abcde-fghj0", "abcde-fghjl", "abcde-fghji", "abcde-fghjo",
            "abcde_fghjk", "abcde.fghjk", "abcde-fghj1", "äbcde-fghjk", "abcdefghjß", "ａbcde-fghjk", "abcde-fghjk\u{0}",
        ])
        func refuses(_ input: String) {
            #expect(RecoveryCodes.normalise(input) == nil)
            #expect(RecoveryCodes.hash(input) == nil)
            #expect(RecoveryCodes.match(input, against: [RecoveryCodes.hash("abcde-fghjk")!]) == nil)
        }

        @Test("a megabyte of input is refused")
        func huge() {
            let huge = String(repeating: "a", count: 1_000_000)
            #expect(RecoveryCodes.normalise(huge) == nil)
            #expect(RecoveryCodes.match(huge, against: [RecoveryCodes.hash("abcde-fghjk")!]) == nil)
        }

        @Test("hash is SHA-256 hex of the canonical form, whatever the typing")
        func hash() {
            #expect(RecoveryCodes.hash("abcde-fghjk") == BearerSecret.hash("ABCDEFGHJK"))
            #expect(RecoveryCodes.hash(" ABCDE fghjk") == RecoveryCodes.hash("abcde-fghjk"))
            #expect(RecoveryCodes.hash("abcde-fghjk")?.count == 64)
            #expect(RecoveryCodes.hash("abcde-fghjk") != RecoveryCodes.hash("abcde-fghjm"))
        }

        @Test("match returns the index of the code used; a spent code no longer matches")
        func match() throws {
            let codes = RecoveryCodes.generate()
            var stored = try codes.map { try #require(RecoveryCodes.hash($0)) }
            for (index, code) in codes.enumerated() {
                #expect(RecoveryCodes.match(code, against: stored) == index)
                #expect(RecoveryCodes.match(code.uppercased().replacingOccurrences(of: "-", with: " "), against: stored) == index)
            }
            let used = try #require(RecoveryCodes.match(codes[4], against: stored))
            stored.remove(at: used)
            #expect(RecoveryCodes.match(codes[4], against: stored) == nil)
            #expect(RecoveryCodes.match(codes[5], against: stored) == 4)
            #expect(RecoveryCodes.match(codes[0], against: []) == nil)
            #expect(RecoveryCodes.match(codes[0], against: ["", "not a hash", codes[0]]) == nil)
        }
    }
}
