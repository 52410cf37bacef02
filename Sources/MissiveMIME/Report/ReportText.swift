import Foundation

/// Makes caller-supplied text safe for the places a notification puts it.
enum ReportText {
    /// For a header field: every control character (CR and LF included) becomes a space,
    /// so no value can end its line or add a field.
    static func headerValue(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { isControl($0) ? " " : $0 }))
    }

    /// For a `message/delivery-status` field, which RFC 3464 keeps in US-ASCII: controls
    /// become spaces, letters lose their diacritics (German umlauts and ß become ae, oe,
    /// ue, ss), anything else non-ASCII becomes `?`.
    static func ascii(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for character in headerValue(text) {
            if character.isASCII {
                result.append(contentsOf: character.unicodeScalars)
            } else if let replacement = transliterations[character] {
                result.append(contentsOf: replacement.unicodeScalars)
            } else {
                let base = String(character).decomposedStringWithCanonicalMapping.unicodeScalars.filter(\.isASCII)
                if base.isEmpty { result.append("?") } else { result.append(contentsOf: base) }
            }
        }
        return String(result)
    }

    /// The transfer encoding and body for text in a text part: 7bit when it is US-ASCII
    /// with lines of at most 998 octets, else quoted-printable (UTF-8). Line ends become
    /// CRLF, and the body ends with one.
    static func transferEncoded(_ text: String) -> (encoding: String, body: [UInt8]) {
        let lines = self.lines(text)
        if lines.allSatisfy({ $0.count <= 998 && $0.allSatisfy { $0 < 0x80 && ($0 >= 0x20 || $0 == ASCII.tab) } }) {
            var body: [UInt8] = []
            for line in lines {
                body.append(contentsOf: line)
                body.append(contentsOf: ASCII.crlf)
            }
            return ("7bit", body)
        }
        return ("quoted-printable", QuotedPrintableEncoder.encode(lines: lines))
    }

    /// `text` split at CRLF, LF or CR; without a final empty line.
    static func lines(_ text: String) -> [ArraySlice<UInt8>] {
        let bytes = Array(text.utf8)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == ASCII.lf || bytes[index] == ASCII.cr {
                lines.append(bytes[start..<index])
                if bytes[index] == ASCII.cr, index + 1 < bytes.count, bytes[index + 1] == ASCII.lf { index += 1 }
                start = index + 1
            }
            index += 1
        }
        if start < bytes.count { lines.append(bytes[start...]) }
        return lines
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    private static let transliterations: [Character: String] = [
        "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss",
        "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "€": "EUR",
        "\u{2018}": "'", "\u{2019}": "'", "\u{201C}": "\"", "\u{201D}": "\"", "\u{2013}": "-", "\u{2014}": "-",
    ]
}
