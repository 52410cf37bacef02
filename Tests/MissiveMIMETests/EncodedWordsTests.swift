import Foundation
import MissiveMIME
import Testing

@Suite("EncodedWords (RFC 2047)")
struct EncodedWordsTests {
    @Test("B and Q encodings, charsets", arguments: [
        ("=?utf-8?B?4oKsIDEwMA==?=", "€ 100"),
        ("=?UTF-8?Q?Gr=C3=BCezi_mitenand?=", "Grüezi mitenand"),
        ("=?ISO-8859-1?Q?Gr=FC=DFe?=", "Grüße"),
        ("=?iso-8859-15?q?=A4?=", "€"),
        ("=?windows-1252?Q?=93quoted=94_=80?=", "\u{201C}quoted\u{201D} €"),
        ("=?us-ascii?q?plain?=", "plain"),
        ("=?utf-8*de?q?Sprache?=", "Sprache"),
        ("=?utf-8?b?4oKs?=", "€"),
        ("=?utf-8?b?4oKsIA?=", "€ "),
        ("=?iso-8859-2?q?=B1?=", "ą"),
    ])
    func decodes(encoded: String, decoded: String) {
        #expect(EncodedWords.decode(encoded) == decoded)
    }

    @Test("Whitespace between adjacent encoded-words is dropped, elsewhere it is kept")
    func adjacentWords() {
        #expect(EncodedWords.decode("=?utf-8?q?a?= =?utf-8?q?b?=") == "ab")
        #expect(EncodedWords.decode("=?utf-8?q?a?=\r\n =?iso-8859-1?q?b?=") == "ab")
        #expect(EncodedWords.decode("=?utf-8?q?a?= b =?utf-8?q?c?=") == "a b c")
        #expect(EncodedWords.decode("x =?utf-8?q?a_?= y") == "x a  y")
    }

    @Test("A character split across two words in the same charset survives")
    func splitCharacter() {
        // "€" is E2 82 AC in UTF-8.
        #expect(EncodedWords.decode("=?utf-8?q?=E2=82?= =?utf-8?q?=ACuro?=") == "€uro")
        #expect(EncodedWords.decode("=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=") == "€")
    }

    @Test("Malformed words are left as they are", arguments: [
        "=?utf-8?x?abc?=",
        "=?utf-8?q?=ZZ?=",
        "=?utf-8?b?!!!!?=",
        "=?utf-8?q?no end",
        "=??q?empty charset?=",
        "plain text with =? inside",
        "a=?b",
    ])
    func malformed(text: String) {
        #expect(EncodedWords.decode(text) == text)
    }

    @Test("Words glued to text are decoded; text without words is unchanged")
    func lenient() {
        #expect(EncodedWords.decode("Re:=?utf-8?q?Gr=C3=BC=C3=9Fe?=!") == "Re:Grüße!")
        #expect(EncodedWords.decode("Nothing to decode") == "Nothing to decode")
    }

    @Test("encode: ASCII unchanged, other text as UTF-8 B words of at most 75 characters")
    func encode() {
        #expect(EncodedWords.encode("Delivery Status Notification") == "Delivery Status Notification")
        let text = String(repeating: "Zustellung fehlgeschlagen: Empfänger unbekannt 😀 ", count: 4)
        let encoded = EncodedWords.encode(text)
        let words = encoded.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.utf8.count <= 75 && $0.hasPrefix("=?utf-8?B?") && $0.hasSuffix("?=") })
        #expect(EncodedWords.decode(encoded) == text)
        // Control characters are always encoded, so a value can never end its header line.
        let injected = EncodedWords.encode("a\r\nBcc: x")
        #expect(injected.hasPrefix("=?utf-8?B?"))
        #expect(!injected.replacingOccurrences(of: "\r\n ", with: "").contains("\n"))
        #expect(EncodedWords.decode(injected) == "a\r\nBcc: x")
    }
}
