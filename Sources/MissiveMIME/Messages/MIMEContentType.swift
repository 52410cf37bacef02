/// A parsed Content-Type (RFC 2045 §5): lowercased type and subtype, and parameters with
/// lowercased names and unquoted, RFC 2231-decoded values.
public struct MIMEContentType: Sendable, Equatable, CustomStringConvertible {
    /// The top-level type, lowercased ("text", "application", "multipart").
    public var type: String
    /// The subtype, lowercased ("plain", "pdf", "mixed").
    public var subtype: String
    /// Parameters by lowercased name; values unquoted and RFC 2231-decoded.
    public var parameters: [String: String]

    /// `text/plain; charset=us-ascii`, what a missing or unparseable Content-Type means
    /// (RFC 2045 §5.2).
    public static let textPlain = MIMEContentType(type: "text", subtype: "plain", parameters: ["charset": "us-ascii"])
    /// `message/rfc822`, the default for the parts of a `multipart/digest` (RFC 2046 §5.1.5).
    public static let messageRFC822 = MIMEContentType(type: "message", subtype: "rfc822")

    /// A content type; `type` and `subtype` are lowercased, `parameters` kept as given.
    public init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = parameters
    }

    /// Parses a Content-Type field value; nil, empty or unparseable gives `default`.
    public init(parsing value: String?, default: MIMEContentType = .textPlain) {
        guard let value else {
            self = `default`
            return
        }
        let parsed = ParameterizedValue(parsing: value)
        let parts = parsed.value.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let type = parts.first.map { String($0).trimmingWhitespace() } ?? ""
        let subtype = parts.count == 2 ? String(parts[1]).trimmingWhitespace() : ""
        guard Self.isToken(type), Self.isToken(subtype) else {
            self = `default`
            return
        }
        self.init(type: type, subtype: subtype, parameters: parsed.parameters)
    }

    /// `type/subtype`.
    public var mediaType: String { "\(type)/\(subtype)" }

    /// The `charset` parameter.
    public var charset: String? { parameters["charset"] }
    /// The `boundary` parameter of a multipart type.
    public var boundary: String? { parameters["boundary"] }
    /// Whether this is a `multipart/*` type, which the reader descends into.
    public var isMultipart: Bool { type == "multipart" }

    /// The media type and parameters, sorted by name, for diagnostics.
    public var description: String {
        let parameters = parameters.keys.sorted().map { "; \($0)=\"\(self.parameters[$0] ?? "")\"" }
        return mediaType + parameters.joined()
    }

    /// RFC 2045 token: printable US-ASCII except tspecials.
    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 > 32 && $0 < 127 && !tspecials.contains($0) }
    }

    private static let tspecials = Set("()<>@,;:\\\"/[]?=".utf8)
}
