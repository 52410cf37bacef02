/// What a ``MIMEStreamReader`` reports while it reads a message, in message order.
///
/// `messageHeaders` comes once, first. Then every leaf part (a part that is not
/// `multipart/*`; the body itself when the message is not multipart) is reported as
/// `partStart`, zero or more `bodyBytes` and `partEnd`. Multipart containers, preambles and
/// epilogues are not reported.
public enum MIMEEvent: Sendable, Equatable {
    /// The top-level header block.
    case messageHeaders(MIMEHeaders)
    /// A leaf part begins.
    case partStart(MIMEPart)
    /// Decoded content of the current leaf part (base64 and quoted-printable decoded; any
    /// other transfer encoding as received). How the content is split into events depends
    /// on how the message arrived; only the concatenation is meaningful.
    case bodyBytes([UInt8])
    /// The current leaf part ended.
    case partEnd
}
