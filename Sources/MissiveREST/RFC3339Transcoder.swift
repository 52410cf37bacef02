import Foundation
import OpenAPIRuntime

/// RFC 3339 dates: written in UTC with milliseconds; read with or without fractional seconds
/// and with `Z` or a numeric offset, as RFC 3339 allows.
struct RFC3339Transcoder: DateTranscoder {
    func encode(_ date: Date) throws -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    func decode(_ text: String) throws -> Date {
        guard text.utf8.count <= 40 else { throw Self.invalid }
        for style in [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle(includingFractionalSeconds: false)] {
            if let date = try? style.parse(text) { return date }
        }
        // Lower-case "t"/"z" are allowed by RFC 3339.
        let upper = text.uppercased()
        if upper != text { return try decode(upper) }
        throw Self.invalid
    }

    static let invalid = DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "Expected an RFC 3339 date-time."))
}
