import Foundation

/// A durable document written to the blob store.
public struct StoredBlob: Sendable, Hashable {
    public var storageKey: String
    public var byteSize: Int64
    /// Lowercase hex SHA-256.
    public var sha256: String
    /// The first bytes (to recognise the format).
    public var head: [UInt8]
    /// The last bytes (to check a PDF is complete).
    public var tail: [UInt8]
    public init(storageKey: String, byteSize: Int64, sha256: String, head: [UInt8], tail: [UInt8]) {
        self.storageKey = storageKey
        self.byteSize = byteSize
        self.sha256 = sha256
        self.head = head
        self.tail = tail
    }
}

/// Content-addressed document storage. A blob is durable (written and fsynced) when
/// ``BlobWriter/finish()`` returns, so the commit that references it may follow.
public protocol BlobStore: Sendable {
    /// Starts writing a new blob of at most `limit` bytes.
    func makeWriter(limit: Int64) throws -> any BlobWriter
    /// Reads a whole blob.
    func read(_ storageKey: String) async throws -> Data
    /// The path of a blob on disk, for channels that hand files on (spool).
    func url(for storageKey: String) -> URL
}

/// Streams one blob into the store while hashing it.
public protocol BlobWriter: Sendable {
    /// Appends bytes; throws `tooLarge` past the limit.
    func write(_ bytes: some Collection<UInt8> & Sendable) async throws
    /// Runs `check` on the first and last 1 KiB (e.g. to refuse a non-PDF), then makes the
    /// blob durable under its content address. A throwing check stores nothing.
    func finish(check: @Sendable (_ head: [UInt8], _ tail: [UInt8]) throws -> Void) async throws -> StoredBlob
    /// Abandons the blob (removes the partial file).
    func discard() async
}
