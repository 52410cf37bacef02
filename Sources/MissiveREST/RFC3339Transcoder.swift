import Foundation
import MissiveCore
import OpenAPIRuntime

/// RFC 3339 dates: written in UTC with milliseconds; read with or without fractional seconds
/// (any precision), with `Z` or a numeric offset, `T`/`t` or a space, years 0001–9999.
struct RFC3339Transcoder: DateTranscoder {
    func encode(_ date: Date) throws -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    func decode(_ text: String) throws -> Date {
        guard let date = Self.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "Expected an RFC 3339 date-time."))
        }
        return date
    }

    static func parse(_ text: String) -> Date? {
        Timestamp.parse(text)
    }
}
