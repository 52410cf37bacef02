@testable import MissiveCore
import Testing

extension IdentityTests {
    @Suite("Identity support")
    struct SupportTests {
        @Test("constant-time equality is plain equality of bytes")
        func constantTime() {
            #expect(ConstantTime.equals([UInt8](), [UInt8]()))
            #expect(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
            #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
            #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2] as [UInt8]))
            #expect(!ConstantTime.equals([0x80] as [UInt8], [0x00] as [UInt8]))
            #expect(ConstantTime.equals("ab12", "ab12"))
            #expect(!ConstantTime.equals("ab12", "AB12"))
            #expect(!ConstantTime.equals("é", "e\u{301}"))
        }

        @Test("the alphabet: 31 symbols, none of 0 O 1 I L")
        func alphabet() {
            #expect(UnambiguousAlphabet.symbols.count == 31)
            #expect(Set(UnambiguousAlphabet.symbols).count == 31)
            #expect(UnambiguousAlphabet.symbols.allSatisfy { !"0O1IL".contains($0) })
        }

        @Test("grouping splits into dashed groups, the last possibly shorter")
        func grouped() {
            #expect(UnambiguousAlphabet.grouped("ABCDEFGH", size: 4) == "ABCD-EFGH")
            #expect(UnambiguousAlphabet.grouped("ABCDEFGHJ", size: 4) == "ABCD-EFGH-J")
            #expect(UnambiguousAlphabet.grouped("ABC", size: 5) == "ABC")
            #expect(UnambiguousAlphabet.grouped("", size: 5) == "")
        }

        @Test("canonical: inputs over 128 bytes are refused even if mostly separators")
        func canonicalBound() {
            #expect(UnambiguousAlphabet.canonical(String(repeating: " ", count: 120) + "ABCDEFGH", length: 8) == "ABCDEFGH")
            #expect(UnambiguousAlphabet.canonical(String(repeating: " ", count: 121) + "ABCDEFGH", length: 8) == nil)
        }
    }
}
