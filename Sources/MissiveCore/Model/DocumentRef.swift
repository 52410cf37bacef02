import Foundation

/// A document of an envelope. The bytes live in the blob store, encrypted, under
/// ``storageKey``; this value only describes them.
public struct DocumentRef: Sendable, Hashable, Codable {
    public enum Role: String, Sendable, Hashable, Codable {
        case main, attachment
    }

    public var role: Role
    public var filename: String?
    public var mediaType: String
    public var byteSize: Int64
    /// Lowercase hex SHA-256 of the (plaintext) bytes.
    public var sha256: String
    public var pageCount: Int?
    /// Where the blob store keeps the bytes.
    public var storageKey: String

    public init(role: Role, filename: String?, mediaType: String, byteSize: Int64, sha256: String, pageCount: Int?, storageKey: String) {
        self.role = role
        self.filename = filename
        self.mediaType = mediaType
        self.byteSize = byteSize
        self.sha256 = sha256
        self.pageCount = pageCount
        self.storageKey = storageKey
    }
}
