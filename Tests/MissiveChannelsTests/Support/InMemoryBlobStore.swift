import Crypto
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

    func read(_ storageKey: String, chunks body: (Data) async throws -> Void) async throws {
        let data = try await read(storageKey)
        for start in stride(from: 0, to: data.count, by: 4) {
            try await body(data.subdata(in: start..<min(start + 4, data.count)))
        }
    }

    /// A stand-in for an HPKE wrap: the storage key and the recipient's public key.
    func wrapKey(of storageKey: String, for recipient: Curve25519.KeyAgreement.PublicKey) async throws -> Data? {
        _ = try await read(storageKey)
        return Self.wrap(storageKey, recipient)
    }

    func read(_ storageKey: String, wrappedKey: Data, recipientKey: Curve25519.KeyAgreement.PrivateKey) async throws -> Data {
        guard wrappedKey == Self.wrap(storageKey, recipientKey.publicKey) else {
            throw MissiveError(.unavailable, "The key does not open this stored document.")
        }
        return try await read(storageKey)
    }

    static func wrap(_ storageKey: String, _ recipient: Curve25519.KeyAgreement.PublicKey) -> Data {
        Data("\(storageKey)|".utf8) + recipient.rawRepresentation
    }
}
