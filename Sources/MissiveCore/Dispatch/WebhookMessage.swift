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
    public static func string(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}
