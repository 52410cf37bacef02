import Foundation

/// RFC 2047 encoded-words (`=?charset?B?…?=`, `=?charset?Q?…?=`) in header text.
public enum EncodedWords {
    /// Decodes every well-formed encoded-word in `text`. Whitespace between two adjacent
    /// encoded-words is dropped (RFC 2047 §6.2), and the bytes of adjacent words in the same
    /// charset are joined before decoding, so a character split across two words survives.
    /// Malformed words (unknown encoding, bad base64, bad `=XX`) are left as they are. Words
    /// glued to surrounding text are decoded too, as common mail readers do.
    public static func decode(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 8, text.contains("=?") else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var run: (charset: String, bytes: [UInt8])?
        var literalStart = 0
        var index = 0
        func flushRun() {
            if let pending = run {
                output.append(contentsOf: Charset.decode(pending.bytes, charset: pending.charset).utf8)
                run = nil
            }
        }
        while index + 1 < bytes.count {
            guard bytes[index] == ASCII.equals, bytes[index + 1] == UInt8(ascii: "?"),
                let word = EncodedWord(bytes, at: index)
            else {
                index += 1
                continue
            }
            let between = bytes[literalStart..<index]
            let onlyWhitespace = between.allSatisfy { ASCII.isWhitespace($0) || $0 == ASCII.cr || $0 == ASCII.lf }
            if !(run != nil && onlyWhitespace) {
                flushRun()
                output.append(contentsOf: between)
            }
            if run?.charset == word.charset {
                run?.bytes.append(contentsOf: word.bytes)
            } else {
                flushRun()
                run = (word.charset, word.bytes)
            }
            index = word.end
            literalStart = index
        }
        flushRun()
        output.append(contentsOf: bytes[literalStart...])
        return String(decoding: output, as: UTF8.self)
    }

    /// `text` as it may stand in an unstructured header field: unchanged when it is
    /// printable US-ASCII, otherwise as UTF-8 `B` encoded-words of at most 75 characters,
    /// folded with CRLF SP between them. Control characters are always encoded, so the
    /// result never breaks a header line.
    public static func encode(_ text: String) -> String {
        if text.utf8.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == ASCII.tab }) { return text }
        // "=?utf-8?B?" + "?=" leaves 63 characters: 15 quanta carry 45 bytes.
        let maxBytes = 45
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if chunk.count + encoded.count > maxBytes, !chunk.isEmpty {
                words.append("=?utf-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk.removeAll()
            }
            chunk.append(contentsOf: encoded)
        }
        if !chunk.isEmpty { words.append("=?utf-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }
}

/// One parsed encoded-word: its charset, its decoded bytes and where it ends.
private struct EncodedWord {
    var charset: String
    var bytes: [UInt8]
    var end: Int

    /// Parses the encoded-word starting at `start` (which holds `=?`), or nil if malformed.
    init?(_ text: [UInt8], at start: Int) {
        let question = UInt8(ascii: "?")
        var index = start + 2
        let charsetStart = index
        while index < text.count, text[index] != question {
            let byte = text[index]
            guard byte > 32, byte < 127, byte != ASCII.equals, index - charsetStart < 64 else { return nil }
            index += 1
        }
        guard index > charsetStart, index + 2 < text.count, text[index + 2] == question else { return nil }
        let encoding = ASCII.lowercased(text[index + 1])
        let textStart = index + 3
        guard let textEnd = text[textStart...].firstIndex(of: question), textEnd + 1 < text.count,
            text[textEnd + 1] == ASCII.equals
        else { return nil }
        let encoded = text[textStart..<textEnd]
        guard !encoded.contains(where: { $0 <= 32 || $0 >= 127 }) else { return nil }
        switch encoding {
        case UInt8(ascii: "b"):
            guard let bytes = Self.decodeB(encoded) else { return nil }
            self.bytes = bytes
        case UInt8(ascii: "q"):
            guard let bytes = Self.decodeQ(encoded) else { return nil }
            self.bytes = bytes
        default:
            return nil
        }
        charset = String(decoding: text[charsetStart..<index], as: UTF8.self)
        end = textEnd + 2
    }

    /// RFC 2047 §4.2: `_` is a space, `=XX` a byte, anything else itself.
    private static func decodeQ(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: "_") {
                output.append(ASCII.space)
            } else if byte == ASCII.equals {
                guard index + 2 < text.endIndex, let high = ASCII.hexValue(text[index + 1]),
                    let low = ASCII.hexValue(text[index + 2])
                else { return nil }
                output.append(high << 4 | low)
                index += 2
            } else {
                output.append(byte)
            }
            index += 1
        }
        return output
    }

    /// Base64, lenient about missing padding (as mail readers are).
    private static func decodeB(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var decoder = Base64Decoder()
        var output: [UInt8] = []
        var padded = Array(text)
        while padded.last == ASCII.equals { padded.removeLast() }
        switch padded.count % 4 {
        case 0: break
        case 2: padded.append(contentsOf: [ASCII.equals, ASCII.equals])
        case 3: padded.append(ASCII.equals)
        default: return nil
        }
        do {
            try padded.withUnsafeBufferPointer { try decoder.decode($0, into: &output) }
            try decoder.finish()
        } catch {
            return nil
        }
        return output
    }
}
