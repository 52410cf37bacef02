/// One SMTP reply: a three-digit code, an RFC 3463 enhanced status code (ENHANCEDSTATUSCODES)
/// and one or more text lines. Texts never quote addresses, subjects or content.
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    /// e.g. "2.1.5"; nil for replies that carry none (220 greeting, 334 challenges, EHLO).
    public var enhanced: String?
    public var lines: [String]

    public init(_ code: Int, _ enhanced: String?, _ lines: String...) {
        self.code = code
        self.enhanced = enhanced
        self.lines = lines
    }

    public init(code: Int, enhanced: String?, lines: [String]) {
        self.code = code
        self.enhanced = enhanced
        self.lines = lines
    }

    /// True for 4xx/5xx.
    public var isError: Bool { code >= 400 }

    /// The wire form: `250-first`, …, `250 last`, each line ending in CRLF.
    public var wire: String {
        var out = ""
        let lines = self.lines.isEmpty ? [""] : self.lines
        for (index, line) in lines.enumerated() {
            let separator = index == lines.count - 1 ? " " : "-"
            let text = enhanced.map { "\($0) \(line)" } ?? line
            out += "\(code)\(separator)\(text)\r\n"
        }
        return out
    }

    public var description: String { "\(code) \(enhanced ?? "")" }
}

extension SMTPReply {
    static let ok = SMTPReply(250, "2.0.0", "Ok")
    static let badSequence = SMTPReply(503, "5.5.1", "Bad sequence of commands")
    static let syntax = SMTPReply(501, "5.5.4", "Syntax error in parameters or arguments")
    static let unrecognized = SMTPReply(500, "5.5.1", "Command unrecognized")
    static let lineTooLong = SMTPReply(500, "5.5.2", "Line too long")
    static let authRequired = SMTPReply(530, "5.7.0", "Authentication required")
    static let tlsFirst = SMTPReply(530, "5.7.0", "Must issue a STARTTLS command first")
    static let authInvalid = SMTPReply(535, "5.7.8", "Authentication credentials invalid")
    static let shuttingDown = SMTPReply(421, "4.3.2", "Service shutting down, closing transmission channel")
    static let timeout = SMTPReply(421, "4.4.2", "Timeout, closing transmission channel")
    static let tooManyErrors = SMTPReply(421, "4.7.0", "Too many errors, closing transmission channel")
}
