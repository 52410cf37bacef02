import Foundation
import MissiveCore
import Synchronization

/// A read-side fake of the blob store: blobs are put in by the test; reading can be made to
/// fail and is observed (to check what the spool looked like at each read).
final class InMemoryBlobStore: BlobStore {
    private let blobs = Mutex<[String: Data]>([:])
    private let failing = Mutex<Set<String>>([])
    private let onRead: @Sendable (String) -> Void

    init(onRead: @escaping @Sendable (String) -> Void = { _ in }) {
        self.onRead = onRead
    }

    /// Stores `text` and returns its reference with a real SHA-256.
    func put(_ text: String, key: String, role: DocumentRef.Role = .main, pages: Int? = 1) -> DocumentRef {
        let data = Data(text.utf8)
        blobs.withLock { $0[key] = data }
        return DocumentRef(role: role, filename: "\(key).pdf", mediaType: "application/pdf", byteSize: Int64(data.count), sha256: BearerSecret.hash(text), pageCount: pages, storageKey: key)
    }

    /// Makes reads of `key` throw.
    func failReads(of key: String) {
        _ = failing.withLock { $0.insert(key) }
    }

    func makeWriter(limit: Int64) throws -> any BlobWriter {
        throw MissiveError(.unavailable, "The in-memory blob store is read-only.")
    }

    func read(_ storageKey: String) async throws -> Data {
        onRead(storageKey)
        if failing.withLock({ $0.contains(storageKey) }) {
            throw MissiveError(.unavailable, "Injected read failure.")
        }
        guard let data = blobs.withLock({ $0[storageKey] }) else {
            throw MissiveError(.notFound, "No such blob.")
        }
        return data
    }

    func url(for storageKey: String) -> URL {
        URL(filePath: "/nonexistent/blobs/\(storageKey)")
    }
}
