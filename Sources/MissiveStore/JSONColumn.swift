import Foundation
import GRDB

/// Nested values (recipient, policy, documents…) are stored as JSON text columns.
enum JSONColumn {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }()
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func encode<T: Encodable>(_ value: T?) throws -> String? {
        try value.map { try encode($0) }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?) throws -> T? {
        guard let text else { return nil }
        return try decoder.decode(T.self, from: Data(text.utf8))
    }
}

extension Date {
    /// The storage form: Unix seconds.
    var storage: Double { timeIntervalSince1970 }
    init(storage: Double) { self.init(timeIntervalSince1970: storage) }
}

extension Row {
    func date(_ column: String) -> Date { Date(storage: self[column]) }
    func optionalDate(_ column: String) -> Date? { (self[column] as Double?).map(Date.init(storage:)) }
}
