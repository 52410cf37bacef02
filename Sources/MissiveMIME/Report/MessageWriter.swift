/// Writes header fields and lines with CRLF line ends, folding long fields (RFC 5322 §2.2.3)
/// so that no line exceeds 998 octets and, where spaces allow, 78 characters.
struct MessageWriter {
    var bytes: [UInt8] = []

    static let preferredLength = 78
    /// A piece without spaces longer than this is cut: the one case where folding adds a
    /// space on unfolding. Keeps every line within RFC 5322's 998 octets.
    static let hardLength = 900

    mutating func line(_ text: String) {
        bytes.append(contentsOf: text.utf8)
        bytes.append(contentsOf: ASCII.crlf)
    }

    /// `name: value`, folded at spaces. `value` must hold no CR or LF.
    mutating func field(_ name: String, _ value: String) {
        var current = Array("\(name): ".utf8)
        for word in Self.words(value) {
            if current.count + word.count > Self.preferredLength, current.contains(where: { $0 != ASCII.space }),
                current.count > name.utf8.count + 2
            {
                bytes.append(contentsOf: current)
                bytes.append(contentsOf: ASCII.crlf)
                current = []
            }
            for piece in Self.cut(word) {
                if !current.isEmpty, current.count + piece.count > Self.hardLength {
                    bytes.append(contentsOf: current)
                    bytes.append(contentsOf: ASCII.crlf)
                    current = piece.first == ASCII.space ? [] : [ASCII.space]
                }
                current.append(contentsOf: piece)
            }
        }
        bytes.append(contentsOf: current)
        bytes.append(contentsOf: ASCII.crlf)
    }

    /// A field whose value is already folded (encoded-words joined by CRLF SP).
    mutating func encodedField(_ name: String, _ value: String) {
        if value.contains("\r\n") {
            line("\(name): \(value)")
        } else {
            field(name, value)
        }
    }

    /// `value` split before each space, so every word but the first starts with its space.
    private static func words(_ value: String) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var word: [UInt8] = []
        for byte in value.utf8 {
            if byte == ASCII.space, !word.isEmpty, word.contains(where: { $0 != ASCII.space }) {
                words.append(word)
                word = []
            }
            word.append(byte)
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// `word` in pieces of at most ``hardLength`` bytes, never inside a UTF-8 sequence.
    private static func cut(_ word: [UInt8]) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        var start = 0
        while word.count - start > hardLength {
            var end = start + hardLength
            while end > start + 1, word[end] & 0xC0 == 0x80 { end -= 1 }
            pieces.append(Array(word[start..<end]))
            start = end
        }
        pieces.append(Array(word[start...]))
        return pieces
    }
}
