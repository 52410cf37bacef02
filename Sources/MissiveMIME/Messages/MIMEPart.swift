/// A leaf part as ``MIMEStreamReader`` reports it in ``MIMEEvent/partStart(_:)``.
public struct MIMEPart: Sendable, Equatable {
    /// The part's own header block (the message's, for a message that is not multipart).
    public var headers: MIMEHeaders
    /// The part's Content-Type, with the context's default when absent (`text/plain`, or
    /// `message/rfc822` inside `multipart/digest`).
    public var contentType: MIMEContentType
    /// The Content-Transfer-Encoding, lowercased; "7bit" when absent.
    public var transferEncoding: String
    /// The Content-Disposition type, lowercased ("attachment", "inline"); nil when absent.
    public var disposition: String?
    /// The file name: Content-Disposition `filename` (RFC 2231 `filename*` first), else the
    /// Content-Type `name`; RFC 2047 encoded-words decoded (Outlook writes them), directory
    /// parts and control characters removed. Nil when absent or empty.
    public var filename: String?
    /// How many multipart containers enclose the part (0 for the body of a message that is
    /// not multipart).
    public var depth: Int
    /// The part's position among the message's leaf parts, from 0.
    public var index: Int

    /// Describes a part from its headers; `contentType` overrides the parsed Content-Type
    /// (the reader passes the context's default).
    public init(headers: MIMEHeaders, contentType: MIMEContentType? = nil, depth: Int, index: Int) {
        self.headers = headers
        self.contentType = contentType ?? headers.contentType
        self.transferEncoding = Self.transferEncoding(headers.first("Content-Transfer-Encoding"))
        let disposition = headers.first("Content-Disposition").map(ParameterizedValue.init(parsing:))
        self.disposition = disposition.flatMap { $0.value.isEmpty ? nil : $0.value.lowercased() }
        self.filename = Self.filename(disposition?.parameters["filename"] ?? self.contentType.parameters["name"])
        self.depth = depth
        self.index = index
    }

    static func transferEncoding(_ value: String?) -> String {
        guard let value else { return "7bit" }
        let encoding = ParameterizedValue(parsing: value).value.lowercased()
        return encoding.isEmpty ? "7bit" : encoding
    }

    /// The last path component of `raw` after RFC 2047 decoding, without control characters.
    static func filename(_ raw: String?) -> String? {
        guard let raw else { return nil }
        let decoded = EncodedWords.decode(raw)
        let lastComponent = decoded.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(String.UnicodeScalarView(lastComponent.unicodeScalars.filter { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) }))
            .trimmingWhitespace()
        guard !cleaned.isEmpty, cleaned != ".", cleaned != ".." else { return nil }
        return cleaned
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[first...last])
    }
}
