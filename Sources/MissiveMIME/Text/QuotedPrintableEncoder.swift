/// Quoted-printable (RFC 2045 §6.7) for text: printable ASCII except `=` stays literal, a
/// space or tab stays literal unless it ends a line, everything else becomes `=XX`; lines
/// are broken softly so that none exceeds 76 characters. Hard line breaks become CRLF.
enum QuotedPrintableEncoder {
    static let maxLineLength = 76

    /// Encodes `lines` (without their line breaks); every line ends in CRLF.
    static func encode(lines: [ArraySlice<UInt8>]) -> [UInt8] {
        var output: [UInt8] = []
        for line in lines {
            var length = 0
            for index in line.indices {
                let byte = line[index]
                let isLast = index == line.index(before: line.endIndex)
                let literal = (byte >= 33 && byte <= 126 && byte != ASCII.equals) || (ASCII.isWhitespace(byte) && !isLast)
                let width = literal ? 1 : 3
                // Leave room for the `=` of a soft line break unless this is the line's end.
                let limit = isLast ? maxLineLength : maxLineLength - 1
                if length + width > limit {
                    output.append(contentsOf: [ASCII.equals, ASCII.cr, ASCII.lf])
                    length = 0
                }
                if literal {
                    output.append(byte)
                } else {
                    output.append(contentsOf: [ASCII.equals, ASCII.upperHexDigits[Int(byte >> 4)], ASCII.upperHexDigits[Int(byte & 0x0F)]])
                }
                length += width
            }
            output.append(contentsOf: ASCII.crlf)
        }
        return output
    }
}
