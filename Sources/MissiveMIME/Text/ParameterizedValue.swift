/// A structured header value followed by parameters, as in Content-Type (RFC 2045 §5.1) and
/// Content-Disposition (RFC 2183): `value *(";" name "=" (token / quoted-string))`.
///
/// Comments are skipped, quoted-strings unquoted, names lowercased; RFC 2231 extended
/// parameters (`name*=charset'lang'%XX`, continuations `name*0`, `name*1*`, …) are joined
/// and decoded, and win over a plain parameter of the same name. Parsing is lenient (an
/// unquoted value may hold spaces, as some mailers send file names) and never fails.
struct ParameterizedValue: Sendable, Equatable {
    /// The part before the first `;`, without comments, trimmed.
    var value: String
    var parameters: [String: String]

    init(parsing text: String) {
        var scanner = ParameterScanner(Array(text.utf8))
        value = String(decoding: ASCII.trimmed(scanner.leadingValue()[...]), as: UTF8.self)
        var plain: [String: String] = [:]
        var extended: [String: ExtendedParameter] = [:]
        while let (name, rawValue) = scanner.nextParameter() {
            if let star = name.firstIndex(of: "*") {
                let base = String(name[..<star])
                guard !base.isEmpty, let section = ExtendedParameter.Section(suffix: name[star...], value: rawValue) else { continue }
                extended[base, default: ExtendedParameter()].add(section)
            } else if plain[name] == nil {
                plain[name] = String(decoding: rawValue, as: UTF8.self)
            }
        }
        for (name, parameter) in extended {
            plain[name] = parameter.decoded()
        }
        parameters = plain
    }
}

/// The sections of one RFC 2231 parameter.
private struct ExtendedParameter {
    struct Section {
        var number: Int
        /// Percent-encoded (`name*` or `name*N*`).
        var encoded: Bool
        var value: [UInt8]

        /// `suffix` is what follows the base name: `*`, `*N` or `*N*`.
        init?(suffix: Substring, value: [UInt8]) {
            let body = suffix.dropFirst()
            if body.isEmpty {
                number = 0
                encoded = true
            } else {
                encoded = body.hasSuffix("*")
                let digits = encoded ? body.dropLast() : body
                guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(\.isASCII), let number = Int(digits) else { return nil }
                self.number = number
            }
            self.value = value
        }
    }

    var sections: [Int: Section] = [:]

    mutating func add(_ section: Section) {
        if sections[section.number] == nil { sections[section.number] = section }
    }

    /// The sections joined in order; the first encoded section names the charset.
    func decoded() -> String {
        var bytes: [UInt8] = []
        var charset: String?
        for number in sections.keys.sorted() {
            guard let section = sections[number] else { continue }
            var value = section.value[...]
            if section.encoded, number == 0 {
                let quote = UInt8(ascii: "'")
                if let first = value.firstIndex(of: quote), let second = value[(first + 1)...].firstIndex(of: quote) {
                    let name = String(decoding: value[..<first], as: UTF8.self)
                    charset = name.isEmpty ? nil : name
                    value = value[(second + 1)...]
                }
            }
            bytes.append(contentsOf: section.encoded ? Self.percentDecoded(value) : Array(value))
        }
        return Charset.decode(bytes, charset: charset)
    }

    /// `%XX` as bytes; a `%` without two hex digits is kept.
    static func percentDecoded(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == UInt8(ascii: "%"), index + 2 < text.endIndex,
                let high = ASCII.hexValue(text[index + 1]), let low = ASCII.hexValue(text[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(text[index])
                index += 1
            }
        }
        return output
    }
}

/// Walks a parameterized header value byte by byte.
private struct ParameterScanner {
    let text: [UInt8]
    var index = 0

    init(_ text: [UInt8]) {
        self.text = text
    }

    private static let semicolon = UInt8(ascii: ";")
    private static let quote = UInt8(ascii: "\"")
    private static let openParen = UInt8(ascii: "(")

    /// The value before the first `;`, with comments removed and line breaks as spaces.
    mutating func leadingValue() -> [UInt8] {
        var value: [UInt8] = []
        while index < text.count, text[index] != Self.semicolon {
            let byte = text[index]
            if byte == Self.openParen {
                skipComment()
            } else if byte == Self.quote {
                value.append(contentsOf: quotedString())
            } else {
                value.append(byte == ASCII.cr || byte == ASCII.lf ? ASCII.space : byte)
                index += 1
            }
        }
        return value
    }

    /// The next `name=value` (name lowercased, value unquoted), skipping malformed ones.
    mutating func nextParameter() -> (String, [UInt8])? {
        while index < text.count {
            index += 1  // the `;`
            skipWhitespaceAndComments()
            var name: [UInt8] = []
            while index < text.count, text[index] != UInt8(ascii: "="), text[index] != Self.semicolon {
                if text[index] == Self.openParen {
                    skipComment()
                } else {
                    name.append(ASCII.lowercased(text[index]))
                    index += 1
                }
            }
            let trimmedName = ASCII.trimmed(name[...])
            guard index < text.count, text[index] == UInt8(ascii: "="), !trimmedName.isEmpty else { continue }
            index += 1
            skipWhitespaceAndComments()
            let value: [UInt8]
            if index < text.count, text[index] == Self.quote {
                value = quotedString()
                while index < text.count, text[index] != Self.semicolon { index += 1 }
            } else {
                value = unquotedValue()
            }
            return (String(decoding: trimmedName, as: UTF8.self), value)
        }
        return nil
    }

    /// Up to the next `;`; a comment after whitespace ends it.
    private mutating func unquotedValue() -> [UInt8] {
        let start = index
        var end: Int?
        while index < text.count, text[index] != Self.semicolon {
            if end == nil, text[index] == Self.openParen, index > start, ASCII.isWhitespace(text[index - 1]) {
                end = index
            }
            index += 1
        }
        return Array(ASCII.trimmed(text[start..<(end ?? index)]))
    }

    /// A quoted-string starting at `index` (on the quote), without quotes and escapes. An
    /// unterminated one runs to the end.
    private mutating func quotedString() -> [UInt8] {
        var value: [UInt8] = []
        index += 1
        while index < text.count {
            let byte = text[index]
            index += 1
            if byte == Self.quote { break }
            if byte == UInt8(ascii: "\\"), index < text.count {
                value.append(text[index])
                index += 1
            } else if byte != ASCII.cr, byte != ASCII.lf {
                value.append(byte)
            }
        }
        return value
    }

    /// A comment starting at `index` (on the parenthesis), nested comments included.
    private mutating func skipComment() {
        var depth = 0
        while index < text.count {
            let byte = text[index]
            index += 1
            if byte == UInt8(ascii: "\\") {
                index += 1
            } else if byte == Self.openParen {
                depth += 1
            } else if byte == UInt8(ascii: ")") {
                depth -= 1
                if depth == 0 { return }
            }
        }
    }

    private mutating func skipWhitespaceAndComments() {
        while index < text.count {
            let byte = text[index]
            if ASCII.isWhitespace(byte) || byte == ASCII.cr || byte == ASCII.lf {
                index += 1
            } else if byte == Self.openParen {
                skipComment()
            } else {
                return
            }
        }
    }
}
