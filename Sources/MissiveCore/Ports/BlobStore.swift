import Crypto
import Foundation

/// A durable document written to the blob store.
public struct StoredBlob: Sendable, Hashable {
    public var storageKey: String
    public var byteSize: Int64
    /// Lowercase hex SHA-256 of the plaintext.
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

/// Document storage, encrypted at rest (DESIGN §9): every blob is sealed under its own
/// document key, which is wrapped for the operator's processing key (print, eBill, virus
/// scanning) and, on delivery, for the recipient's mailbox. A blob is durable (written and
/// fsynced) when ``BlobWriter/finish(check:)`` returns, so the commit that references it may
/// follow. Every read authenticates what it returns: a damaged, truncated or reordered blob,
/// or a key that does not open it, throws `unavailable`; a missing blob throws `notFound`.
public protocol BlobStore: Sendable {
    /// Starts writing a new blob of at most `limit` bytes.
    func makeWriter(limit: Int64) throws -> any BlobWriter
    /// Reads a whole blob with the operator's processing key.
    func read(_ storageKey: String) async throws -> Data
    /// Reads a blob in order with the operator's processing key, handing `body` one chunk at a
    /// time (at most one chunk is in memory; nothing is written in plaintext). Each chunk is
    /// authenticated before `body` sees it; a blob cut short throws after its last chunk.
    func read(_ storageKey: String, chunks body: (Data) async throws -> Void) async throws
    /// The blob's document key wrapped (HPKE) for a recipient's public key, to be kept with the
    /// letter; nil for a blob stored before documents were encrypted (it has no document key).
    func wrapKey(of storageKey: String, for recipient: Curve25519.KeyAgreement.PublicKey) async throws -> Data?
    /// Reads a whole blob with a recipient's private key and the document key wrapped for it
    /// by ``wrapKey(of:for:)``; the processing key is not used.
    func read(_ storageKey: String, wrappedKey: Data, recipientKey: Curve25519.KeyAgreement.PrivateKey) async throws -> Data
    /// The blobs an envelope commit now references: they are kept for good. A blob written but
    /// never committed (a refused submission, an idempotent replay, a request that failed
    /// after its documents were stored) is removed by the store's sweep after a while.
    func committed(_ storageKeys: [String])
}

extension BlobStore {
    public func committed(_ storageKeys: [String]) {}
}

/// Streams one blob into the store while hashing it.
public protocol BlobWriter: Sendable {
    /// Appends bytes; throws `tooLarge` past the limit.
    func write(_ bytes: some Collection<UInt8> & Sendable) async throws
    /// Runs `check` on the first and last 1 KiB of the plaintext (e.g. to refuse a non-PDF),
    /// then makes the blob durable under a new storage key. A throwing check stores nothing.
    func finish(check: @Sendable (_ head: [UInt8], _ tail: [UInt8]) throws -> Void) async throws -> StoredBlob
    /// Abandons the blob (removes the partial file).
    func discard() async
}
