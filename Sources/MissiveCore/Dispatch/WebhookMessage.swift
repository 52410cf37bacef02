import Foundation

/// The JSON bodies of webhook messages (Standard Webhooks payload shape:
/// `{"type", "timestamp", "data"}`), rendered once when enqueued and sent byte for byte on
/// every attempt, so the signature always covers the same body.
public enum WebhookMessage {
    /// The body for a status event: `type` is `envelope.<event type>`, `data` the event as the
    /// oneAPI's `Event` schema shows it.
    public static func body(for event: StatusEvent) -> Data {
        var data: [String: Any] = [
            "id": event.id.rawValue,
            "envelopeId": event.envelopeID.rawValue,
            "type": event.type.rawValue,
            "at": Timestamp.string(event.at),
        ]
        if let channel = event.channel { data["channel"] = channel.rawValue }
        if let reason = event.reason { data["reason"] = ["code": reason.code, "text": reason.text] }
        if !event.detail.isEmpty { data["detail"] = event.detail }
        return encode(["type": "envelope.\(event.type.rawValue)", "timestamp": Timestamp.string(event.at), "data": data])
    }

    /// The body of a `letter.received` message: what an ERP needs to fetch the letter (its id)
    /// and to file it (sender, kind, title, time, size), never the document's content.
    public static func letterReceivedBody(_ letter: MailboxLetter) -> Data {
        var sender: [String: Any] = ["organisationId": letter.organisationID.rawValue, "name": letter.senderName]
        if let uid = letter.senderUID { sender["uid"] = uid }
        var document: [String: Any] = ["byteSize": letter.document.byteSize, "sha256": letter.document.sha256]
        if let pages = letter.document.pageCount { document["pageCount"] = pages }
        var data: [String: Any] = [
            "letterId": letter.id.rawValue,
            "sender": sender,
            "kind": letter.kind.rawValue,
            "receivedAt": Timestamp.string(letter.deliveredAt),
            "attachmentCount": letter.attachmentCount,
            "document": document,
        ]
        if let title = letter.title { data["title"] = title }
        return encode(["type": InboxEventType.letterReceived.rawValue, "timestamp": Timestamp.string(letter.deliveredAt), "data": data])
    }

    /// The body of a `webhook.test` message.
    public static func testBody(webhook: WebhookID, at date: Date) -> Data {
        encode(["type": "webhook.test", "timestamp": Timestamp.string(date), "data": ["webhookId": webhook.rawValue]])
    }

    private static func encode(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }
}

/// RFC 3339 timestamps with milliseconds, in UTC, as every Missive interface writes them.
public enum Timestamp {
    /// Rounded to the nearest millisecond (a formatter would truncate, and a date read back
    /// from its text would then drift by a millisecond on every round trip).
    public static func string(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (whole, fraction) = seconds.remainder < 0 ? (seconds.quotient - 1, seconds.remainder + 1000) : (seconds.quotient, seconds.remainder)
        let text = Date(timeIntervalSince1970: TimeInterval(whole)).formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        let digits = String(fraction)
        return String(text.dropLast()) + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    nonisolated(unsafe) static let pattern = /([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,12})?([Zz]|([+-])([0-9]{2}):([0-9]{2}))/

    /// Reads an RFC 3339 date-time (also an `xs:dateTime` with a zone): with or without
    /// fractional seconds (any precision), `Z` or a numeric offset, `T`/`t` or a space,
    /// years 0001–9999; impossible dates such as 2026-02-30 are refused.
    public static func parse(_ text: String) -> Date? {
        guard text.utf8.count <= 48, let match = text.wholeMatch(of: pattern) else { return nil }
        let output = match.output
        guard let year = Int(output.1), let month = Int(output.2), let day = Int(output.3),
              let hour = Int(output.4), let minute = Int(output.5), let second = Int(output.6),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60, year >= 1
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59))
        guard let base = calendar.date(from: components),
              calendar.component(.day, from: base) == day  // refuses 2026-02-30
        else { return nil }
        var seconds = base.timeIntervalSince1970
        if let fraction = output.7, let value = Double("0" + fraction) { seconds += value }
        if let sign = output.9, let offsetHours = output.10.flatMap({ Int($0) }), let offsetMinutes = output.11.flatMap({ Int($0) }) {
            guard offsetHours < 24, offsetMinutes < 60 else { return nil }
            let offset = Double(offsetHours * 3600 + offsetMinutes * 60)
            seconds += sign == "+" ? -offset : offset
        }
        return Date(timeIntervalSince1970: seconds)
    }
}
