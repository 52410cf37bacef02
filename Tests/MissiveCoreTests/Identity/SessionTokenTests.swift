import Foundation
import MissiveCore
import Testing

extension IdentityTests {
    @Suite("SessionToken")
    struct SessionTokenTests {
        static let base62 = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

        @Test("mint: mss_ and 32 base62 characters (≥ 190 bits), all different")
        func mint() {
            let tokens = (0..<1_000).map { _ in SessionToken.mint() }
            #expect(Set(tokens).count == tokens.count)
            for token in tokens {
                #expect(token.hasPrefix("mss_"))
                #expect(token.count == 36)
                #expect(token.dropFirst(4).allSatisfy(Self.base62.contains))
                #expect(SessionToken.isWellFormed(token))
            }
            #expect(32 * log2(62.0) >= 190)
        }

        @Test("hash is SHA-256 hex of the token")
        func hash() {
            let token = SessionToken.mint()
            #expect(SessionToken.hash(token) == BearerSecret.hash(token))
            #expect(SessionToken.hash(token).count == 64)
            #expect(SessionToken.hash(token) != SessionToken.hash(token + "x"))
            #expect(SessionToken.hash("mss_abc") == SessionToken.hash("mss_abc"))
        }

        @Test("isWellFormed refuses other shapes", arguments: [
            "", "mss_", "mss_" + String(repeating: "a", count: 31), "mss_" + String(repeating: "a", count: 33),
            "mk_live_" + String(repeating: "a", count: 32), "MSS_" + String(repeating: "a", count: 32),
            "mss_" + String(repeating: "a", count: 31) + "-", "mss_" + String(repeating: "a", count: 31) + "é",
            "mss_" + String(repeating: "a", count: 30) + "é",
        ])
        func malformed(_ token: String) {
            #expect(!SessionToken.isWellFormed(token))
        }

        @Test("a megabyte is not a token")
        func huge() {
            #expect(!SessionToken.isWellFormed("mss_" + String(repeating: "a", count: 1_000_000)))
        }
    }
}
