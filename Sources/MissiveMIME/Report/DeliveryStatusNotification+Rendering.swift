import Foundation

extension DeliveryStatusNotification {
    /// The notification as a complete message: CRLF line ends, no line longer than 998
    /// octets, `Subject` RFC 2047-encoded when not ASCII, the text part quoted-printable
    /// when not 7-bit, the delivery-status fields in US-ASCII (other characters
    /// transliterated), and no field able to break a line (CR, LF and other controls become
    /// spaces). Not dot-stuffed: the SMTP client does that.
    public func render() -> [UInt8] {
        let parts = [
            textPart(),
            BodyPart(headers: ["Content-Type: message/delivery-status"], body: deliveryStatus()),
        ] + (originalHeaders.map { [headersPart($0)] } ?? [])
        let boundary = Self.boundary(for: messageID, avoiding: parts)

        var message = MessageWriter()
        message.field("Date", MessageDate.rfc5322(date))
        message.field("From", ReportText.headerValue(from))
        message.field("To", ReportText.headerValue(to))
        message.encodedField("Subject", EncodedWords.encode(ReportText.headerValue(subject)))
        let id = ReportText.headerValue(messageID).trimmingWhitespace()
        message.field("Message-ID", id.hasPrefix("<") ? id : "<\(id)>")
        message.field("Auto-Submitted", "auto-replied")
        message.field("MIME-Version", "1.0")
        message.line("Content-Type: multipart/report; report-type=delivery-status;")
        message.line("\tboundary=\"\(boundary)\"")
        message.line("")
        message.line("This is a delivery status notification in MIME format (RFC 3464).")
        for part in parts {
            message.line("--\(boundary)")
            for header in part.headers { message.line(header) }
            message.line("")
            message.bytes.append(contentsOf: part.body)
            message.line("")  // the delimiter's own line break: the body keeps its last one
        }
        message.line("--\(boundary)--")
        return message.bytes
    }

    /// A part as rendered: header lines and a body ending in CRLF.
    struct BodyPart {
        var headers: [String]
        var body: [UInt8]
    }

    private func textPart() -> BodyPart {
        let (encoding, body) = ReportText.transferEncoded(humanReadable)
        return BodyPart(headers: ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: \(encoding)"], body: body)
    }

    private func headersPart(_ headers: String) -> BodyPart {
        let (encoding, body) = ReportText.transferEncoded(headers)
        let type = encoding == "7bit" ? "text/rfc822-headers" : "text/rfc822-headers; charset=utf-8"
        return BodyPart(headers: ["Content-Type: \(type)", "Content-Transfer-Encoding: \(encoding)"], body: body)
    }

    /// RFC 3464 §2.1: the per-message fields, then each recipient's fields after an empty line.
    func deliveryStatus() -> [UInt8] {
        var fields = MessageWriter()
        if let originalEnvelopeID { fields.field("Original-Envelope-Id", ReportText.ascii(originalEnvelopeID)) }
        fields.field("Reporting-MTA", ReportText.ascii(reportingMTA))
        fields.field("Arrival-Date", MessageDate.rfc5322(arrivalDate))
        for recipient in recipients {
            fields.line("")
            if let original = recipient.originalRecipient {
                fields.field("Original-Recipient", ReportText.ascii(original))
            }
            fields.field("Final-Recipient", ReportText.ascii(recipient.finalRecipient))
            fields.field("Action", recipient.action.rawValue)
            fields.field("Status", ReportText.ascii(recipient.status))
            if let diagnostic = recipient.diagnosticCode {
                fields.field("Diagnostic-Code", ReportText.ascii(diagnostic))
            }
            if let attempt = recipient.lastAttemptDate {
                fields.field("Last-Attempt-Date", MessageDate.rfc5322(attempt))
            }
        }
        return fields.bytes
    }

    /// A boundary derived from the Message-ID (so rendering is repeatable) that occurs in no
    /// part. `=_` cannot occur in quoted-printable text.
    static func boundary(for messageID: String, avoiding parts: [BodyPart]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in messageID.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        var attempt = 0
        while true {
            let boundary = "=_missive-dsn-\(String(hash &+ UInt64(attempt), radix: 16))"
            let delimiter = Array("--\(boundary)".utf8)
            if !parts.contains(where: { $0.body.contains(delimiter) }) { return boundary }
            attempt += 1
        }
    }
}
