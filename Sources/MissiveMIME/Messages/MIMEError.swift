/// A message that cannot be read as MIME. Compare errors by ``kind``; the ``reason`` names
/// only the structure (a part's index, a limit) and never quotes message content, so it is
/// safe for logs and for an SMTP reply text.
public struct MIMEError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// A header line without a colon, a continuation line with no field before it, or a
        /// field name with forbidden characters.
        case malformedHeader
        /// A header block larger than ``MIMELimits/maxHeaderBytes``.
        case headerTooLarge
        /// A header block with more than ``MIMELimits/maxHeaderFields`` fields.
        case tooManyFields
        /// A `multipart/*` type without a usable `boundary` parameter.
        case missingBoundary
        /// A multipart body that ends before its close-delimiter.
        case unterminatedMultipart
        /// Multipart nesting deeper than ``MIMELimits/maxDepth``.
        case tooDeep
        /// More leaf parts than ``MIMELimits/maxParts``.
        case tooManyParts
        /// A character outside the base64 alphabet, misplaced padding or an incomplete quantum.
        case invalidBase64
        /// Reserved for quoted-printable that cannot be decoded. The reader decodes
        /// robustly (RFC 2045 §6.7 note 2) and does not throw it today.
        case invalidQuotedPrintable
        /// A header line, or a line that may be a boundary delimiter, longer than
        /// ``MIMELimits/maxLineBytes``.
        case lineTooLong
        /// The message ends inside a header block (or is empty), or the reader was used after
        /// it finished or failed.
        case truncated

        /// The case name.
        public var description: String { rawValue }
    }

    /// What went wrong; compare errors by this.
    public var kind: Kind
    /// A description of the structural problem, fit for logs and wire errors.
    public var reason: String
    /// Where the error was raised (`#fileID`).
    public var file: String
    /// Where the error was raised (`#line`).
    public var line: Int

    /// An error of `kind`; `reason` must describe structure only, never content.
    public init(_ kind: Kind, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.kind = kind
        self.reason = reason
        self.file = file
        self.line = line
    }

    /// Errors are equal when their kind and reason are; the call site is not compared.
    public static func == (lhs: MIMEError, rhs: MIMEError) -> Bool {
        lhs.kind == rhs.kind && lhs.reason == rhs.reason
    }

    /// Kind and reason, safe to log.
    public var description: String { "MIMEError(\(kind): \(reason))" }
}
