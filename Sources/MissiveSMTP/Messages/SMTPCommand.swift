/// A parsed SMTP command line (RFC 5321 §4.1, with the parameters of SIZE, 8BITMIME,
/// SMTPUTF8, DSN, AUTH and CHUNKING).
public enum SMTPCommand: Sendable, Equatable {
    case ehlo(String)
    case helo(String)
    case mail(SMTPPath, MailParameters)
    case rcpt(SMTPPath, RecipientParameters)
    case data
    case bdat(size: Int, last: Bool)
    case rset
    case noop
    case quit
    case vrfy
    case expn
    case help
    case startTLS
    case auth(mechanism: String, initial: String?)

    /// MAIL FROM parameters.
    public struct MailParameters: Sendable, Equatable {
        public var size: Int?
        /// `7BIT`, `8BITMIME` or `BINARYMIME` (uppercased).
        public var body: String?
        public var smtpUTF8 = false
        /// RFC 3461 `RET`: `FULL` or `HDRS`.
        public var ret: String?
        /// RFC 3461 `ENVID`, xtext-decoded.
        public var envelopeID: String?
        public init() {}
    }

    /// RCPT TO parameters (RFC 3461).
    public struct RecipientParameters: Sendable, Equatable {
        /// `NEVER`, or any of `SUCCESS`, `FAILURE`, `DELAY`; nil means the default (failure and delay).
        public var notify: [String]?
        /// `ORCPT`, e.g. `rfc822;anna@example.ch` (xtext-decoded).
        public var originalRecipient: String?
        public init() {}
    }
}

/// A mailbox of a path (`<local@domain>`), or the null path `<>`.
public struct SMTPPath: Sendable, Equatable {
    public var localPart: String
    public var domain: String
    public var isNull: Bool { localPart.isEmpty && domain.isEmpty }
    public var address: String { isNull ? "" : "\(localPart)@\(domain)" }
    public var isASCII: Bool { address.utf8.allSatisfy { $0 < 0x80 } }

    public init(localPart: String, domain: String) {
        self.localPart = localPart
        self.domain = domain
    }
}

/// Why a command line could not be parsed.
public enum SMTPCommandError: Error, Sendable, Equatable {
    /// Not a command this server knows.
    case unrecognized
    /// A known command with bad arguments; the reply to send.
    case syntax(SMTPReply)
}

extension SMTPCommand {
    /// Parses one command line (without its CRLF). Verbs are case-insensitive.
    public static func parse(_ line: [UInt8]) throws(SMTPCommandError) -> SMTPCommand {
        guard let text = String(validating: line, as: UTF8.self) else {
            throw .syntax(SMTPReply(500, "5.5.2", "Invalid characters in command"))
        }
        let verbEnd = text.firstIndex(of: " ") ?? text.endIndex
        let verb = text[..<verbEnd].uppercased()
        let rest = text[verbEnd...].drop { $0 == " " }
        switch verb {
        case "EHLO", "HELO":
            let domain = rest.trimmingSpaces
            guard !domain.isEmpty, domain.count <= 255, !domain.contains(" ") else {
                throw .syntax(SMTPReply(501, "5.5.4", "\(verb) needs a domain or address literal"))
            }
            return verb == "EHLO" ? .ehlo(domain) : .helo(domain)
        case "MAIL":
            let (path, parameters) = try pathAndParameters(rest, prefix: "FROM:")
            return .mail(path, try mailParameters(parameters))
        case "RCPT":
            let (path, parameters) = try pathAndParameters(rest, prefix: "TO:")
            guard !path.isNull else { throw .syntax(SMTPReply(501, "5.1.3", "A recipient is required")) }
            return .rcpt(path, try recipientParameters(parameters))
        case "DATA": return try bare(.data, rest)
        case "RSET": return try bare(.rset, rest)
        case "NOOP": return .noop
        case "QUIT": return try bare(.quit, rest)
        case "VRFY": return .vrfy
        case "EXPN": return .expn
        case "HELP": return .help
        case "STARTTLS": return try bare(.startTLS, rest)
        case "BDAT":
            let words = rest.split(separator: " ")
            guard (1...2).contains(words.count), words[0].utf8.count <= 12, words[0].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let size = Int(words[0]),
                  words.count == 1 || words[1].uppercased() == "LAST"
            else { throw .syntax(SMTPReply(501, "5.5.4", "Syntax: BDAT <size> [LAST]")) }
            return .bdat(size: size, last: words.count == 2)
        case "AUTH":
            let words = rest.split(separator: " ")
            guard (1...2).contains(words.count) else { throw .syntax(SMTPReply(501, "5.5.4", "Syntax: AUTH <mechanism> [initial-response]")) }
            return .auth(mechanism: words[0].uppercased(), initial: words.count == 2 ? String(words[1]) : nil)
        default:
            throw .unrecognized
        }
    }

    private static func bare(_ command: SMTPCommand, _ rest: Substring) throws(SMTPCommandError) -> SMTPCommand {
        guard rest.trimmingSpaces.isEmpty else { throw .syntax(SMTPReply(501, "5.5.4", "No parameters allowed")) }
        return command
    }

    /// `FROM:<path> params` / `TO:<path> params` (a space after the colon is tolerated).
    private static func pathAndParameters(_ rest: Substring, prefix: String) throws(SMTPCommandError) -> (SMTPPath, [Substring]) {
        guard rest.uppercased().hasPrefix(prefix) else { throw .syntax(SMTPReply(501, "5.5.4", "Syntax: \(prefix == "FROM:" ? "MAIL FROM:<address>" : "RCPT TO:<address>")")) }
        let afterColon = rest.dropFirst(prefix.count).drop { $0 == " " }
        guard afterColon.first == "<", let close = afterColon.firstIndex(of: ">") else {
            throw .syntax(SMTPReply(501, "5.1.7", "The address must be in angle brackets"))
        }
        let inner = afterColon[afterColon.index(after: afterColon.startIndex)..<close]
        let parameters = afterColon[afterColon.index(after: close)...].split(separator: " ")
        if inner.isEmpty { return (SMTPPath(localPart: "", domain: ""), parameters) }
        // A source route (@a,@b:user@domain) is obsolete; its last part is the mailbox.
        let mailbox = inner.hasPrefix("@") ? inner[(inner.firstIndex(of: ":").map { inner.index(after: $0) } ?? inner.endIndex)...] : inner
        guard let at = mailbox.lastIndex(of: "@"), at != mailbox.startIndex, mailbox.index(after: at) != mailbox.endIndex,
              mailbox.utf8.count <= 254, !mailbox.contains(" ")
        else { throw .syntax(SMTPReply(501, "5.1.3", "Bad address syntax")) }
        var local = String(mailbox[..<at])
        if local.hasPrefix("\""), local.hasSuffix("\""), local.count >= 2 { local = String(local.dropFirst().dropLast()) }
        let domain = String(mailbox[mailbox.index(after: at)...]).lowercased()
        guard local.utf8.count <= 64, domain.utf8.count <= 255 else { throw .syntax(SMTPReply(501, "5.1.3", "Bad address syntax")) }
        return (SMTPPath(localPart: local, domain: domain.hasSuffix(".") ? String(domain.dropLast()) : domain), parameters)
    }

    private static func keyValue(_ parameter: Substring) -> (String, String?) {
        guard let equals = parameter.firstIndex(of: "=") else { return (parameter.uppercased(), nil) }
        return (parameter[..<equals].uppercased(), String(parameter[parameter.index(after: equals)...]))
    }

    private static func mailParameters(_ parameters: [Substring]) throws(SMTPCommandError) -> MailParameters {
        var result = MailParameters()
        for parameter in parameters {
            let (key, value) = keyValue(parameter)
            switch (key, value) {
            case ("SIZE", let value?):
                guard value.utf8.count <= 15, let size = Int(value), size >= 0 else { throw .syntax(SMTPReply(501, "5.5.4", "Bad SIZE")) }
                result.size = size
            case ("BODY", let value?):
                let body = value.uppercased()
                guard ["7BIT", "8BITMIME", "BINARYMIME"].contains(body) else { throw .syntax(SMTPReply(501, "5.5.4", "BODY is 7BIT, 8BITMIME or BINARYMIME")) }
                result.body = body
            case ("SMTPUTF8", nil): result.smtpUTF8 = true
            case ("RET", let value?):
                let ret = value.uppercased()
                guard ret == "FULL" || ret == "HDRS" else { throw .syntax(SMTPReply(501, "5.5.4", "RET is FULL or HDRS")) }
                result.ret = ret
            case ("ENVID", let value?):
                guard let decoded = xtextDecoded(value), decoded.utf8.count <= 100 else { throw .syntax(SMTPReply(501, "5.5.4", "Bad ENVID")) }
                result.envelopeID = decoded
            case ("AUTH", _): break  // RFC 4954 AUTH=<mailbox>: accepted and ignored
            default:
                throw .syntax(SMTPReply(555, "5.5.4", "Unsupported MAIL parameter"))
            }
        }
        return result
    }

    private static func recipientParameters(_ parameters: [Substring]) throws(SMTPCommandError) -> RecipientParameters {
        var result = RecipientParameters()
        for parameter in parameters {
            let (key, value) = keyValue(parameter)
            switch (key, value) {
            case ("NOTIFY", let value?):
                let values = value.uppercased().split(separator: ",").map(String.init)
                let allowed: Set = ["NEVER", "SUCCESS", "FAILURE", "DELAY"]
                guard !values.isEmpty, values.allSatisfy(allowed.contains), !(values.contains("NEVER") && values.count > 1) else {
                    throw .syntax(SMTPReply(501, "5.5.4", "Bad NOTIFY"))
                }
                result.notify = values
            case ("ORCPT", let value?):
                guard let decoded = xtextDecoded(value), decoded.contains(";"), decoded.utf8.count <= 500 else { throw .syntax(SMTPReply(501, "5.5.4", "Bad ORCPT")) }
                result.originalRecipient = decoded
            default:
                throw .syntax(SMTPReply(555, "5.5.4", "Unsupported RCPT parameter"))
            }
        }
        return result
    }

    /// RFC 3461 §4 xtext: `+XX` escapes.
    static func xtextDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte > 32, byte < 127, byte != 61 else { return nil }
            if byte == 43 {  // "+"
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 65...70: byte - 55
        default: nil
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
