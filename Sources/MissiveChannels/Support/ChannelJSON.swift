import Foundation

/// The JSON conventions of the channels' wire and file formats: sorted keys (so a
/// re-written file is byte-identical), no escaped slashes, RFC 3339 timestamps in UTC.
enum ChannelJSON {
    /// An encoder for request bodies, manifests and status files.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(rfc3339(date))
        }
        return encoder
    }

    /// A decoder that reads RFC 3339 timestamps with or without fractional seconds.
    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseRFC3339(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "Not an RFC 3339 timestamp")
            }
            return date
        }
        return decoder
    }

    /// `2025-01-31T12:00:00.123Z`: UTC with milliseconds.
    static func rfc3339(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Parses an RFC 3339 timestamp (`Z` or a numeric offset, optional fraction).
    static func parseRFC3339(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }
}
