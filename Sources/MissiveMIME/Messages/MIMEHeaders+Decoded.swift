extension MIMEHeaders {
    /// `Subject` with RFC 2047 encoded-words decoded.
    public var subject: String? {
        first("Subject").map(EncodedWords.decode)
    }

    /// The msg-id of `Message-ID` without its angle brackets, trimmed; nil when absent or
    /// empty.
    public var messageID: String? {
        guard let value = first("Message-ID") else { return nil }
        var id = Substring(value)
        if let open = id.firstIndex(of: "<"), let close = id[open...].firstIndex(of: ">") {
            id = id[id.index(after: open)..<close]
        }
        let trimmed = String(id).trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The addr-spec of the first address in `From`, as written (display name, comments and
    /// angle brackets removed; a quoted local part keeps its quotes); nil when absent.
    public var from: String? {
        first("From").flatMap(AddressList.firstAddress)
    }

    /// The parsed `Content-Type`; `text/plain; charset=us-ascii` when absent or unparseable.
    public var contentType: MIMEContentType {
        MIMEContentType(parsing: first("Content-Type"))
    }
}

/// Just enough of the RFC 5322 §3.4 address grammar to find the first address of a list.
enum AddressList {
    /// The first mailbox's addr-spec in `value`: the text in angle brackets (without an
    /// obs-route), or else the first list element outside comments, display names and
    /// group syntax, without whitespace.
    static func firstAddress(_ value: String) -> String? {
        let text = Array(value.utf8)
        var token: [UInt8] = []
        var index = 0
        scan: while index < text.count {
            let byte = text[index]
            switch byte {
            case UInt8(ascii: "\""):
                let end = quotedStringEnd(text, from: index)
                token.append(contentsOf: text[index..<end])
                index = end
                continue
            case UInt8(ascii: "("):
                index = commentEnd(text, from: index)
                continue
            case UInt8(ascii: "<"):
                var end = index + 1
                while end < text.count, text[end] != UInt8(ascii: ">") {
                    end = text[end] == UInt8(ascii: "\"") ? quotedStringEnd(text, from: end) : end + 1
                }
                var inner = ASCII.trimmed(text[(index + 1)..<min(end, text.count)])
                if inner.first == UInt8(ascii: "@"), let colon = inner.firstIndex(of: ASCII.colon) {
                    inner = ASCII.trimmed(inner[(colon + 1)...])  // obs-route
                }
                return inner.isEmpty ? nil : String(decoding: inner, as: UTF8.self)
            case UInt8(ascii: ","), UInt8(ascii: ";"):
                if !token.isEmpty { break scan }
            case ASCII.colon:
                token.removeAll()  // a group's display name
            case ASCII.space, ASCII.tab, ASCII.cr, ASCII.lf:
                break
            default:
                token.append(byte)
            }
            index += 1
        }
        return token.isEmpty ? nil : String(decoding: token, as: UTF8.self)
    }

    /// The index after the quoted-string starting at `start`.
    private static func quotedStringEnd(_ text: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < text.count {
            if text[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if text[index] == UInt8(ascii: "\"") { return index + 1 }
            index += 1
        }
        return text.count
    }

    /// The index after the (possibly nested) comment starting at `start`.
    private static func commentEnd(_ text: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < text.count {
            switch text[index] {
            case UInt8(ascii: "\\"): index += 1
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"):
                depth -= 1
                if depth == 0 { return index + 1 }
            default: break
            }
            index += 1
        }
        return text.count
    }
}
