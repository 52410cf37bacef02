import Foundation
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

    nonisolated(unsafe) static let pattern = /([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,12})?([Zz]|([+-])([0-9]{2}):([0-9]{2}))/

    static func parse(_ text: String) -> Date? {
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
