import Crypto
import Foundation
import MissiveCore

/// A blob store that keeps blobs in memory only as long as a fuzz input runs: the adapters'
/// intake code streams documents into it exactly as into the real store (size limit, head
/// and tail check), without disk I/O.
final class MemoryBlobStore: BlobStore, @unchecked Sendable {
    // One fuzz input runs on one task at a time; nothing is shared between inputs.
    private(set) var finished: [StoredBlob] = []

    func makeWriter(limit: Int64) throws -> any BlobWriter {
        MemoryBlobWriter(store: self, limit: limit)
    }

    func read(_ storageKey: String) async throws -> Data {
        throw MissiveError(.notFound, "The fuzzing blob store keeps no blobs.")
    }

    func read(_ storageKey: String, chunks body: (Data) async throws -> Void) async throws {
        throw MissiveError(.notFound, "The fuzzing blob store keeps no blobs.")
    }

    func wrapKey(of storageKey: String, for recipient: Curve25519.KeyAgreement.PublicKey) async throws -> Data? {
        nil
    }

    func read(_ storageKey: String, wrappedKey: Data, recipientKey: Curve25519.KeyAgreement.PrivateKey) async throws -> Data {
        throw MissiveError(.notFound, "The fuzzing blob store keeps no blobs.")
    }

    fileprivate func add(_ blob: StoredBlob) {
        finished.append(blob)
    }
}

/// Collects one blob's size, hash, head and tail.
final class MemoryBlobWriter: BlobWriter, @unchecked Sendable {
    private let store: MemoryBlobStore
    private let limit: Int64
    private var size: Int64 = 0
    private var hash = SHA256()
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private var state = State.open

    enum State { case open, finished, discarded }

    init(store: MemoryBlobStore, limit: Int64) {
        self.store = store
        self.limit = limit
    }

    func write(_ bytes: some Collection<UInt8> & Sendable) async throws {
        precondition(state == .open, "write after finish or discard")
        size += Int64(bytes.count)
        guard size <= limit else { throw MissiveError(.tooLarge, "The document is larger than \(limit) bytes.") }
        let array = Array(bytes)
        hash.update(data: array)
        if head.count < 1024 { head += array.prefix(1024 - head.count) }
        tail = Array((tail + array).suffix(1024))
    }

    func finish(check: @Sendable (_ head: [UInt8], _ tail: [UInt8]) throws -> Void) async throws -> StoredBlob {
        precondition(state == .open, "finish after finish or discard")
        try check(head, tail)
        state = .finished
        let digest = hash.finalize().map { String(format: "%02x", $0) }.joined()
        let blob = StoredBlob(storageKey: "memory-\(store.finished.count)", byteSize: size, sha256: digest, head: head, tail: tail)
        store.add(blob)
        return blob
    }

    func discard() async {
        state = .discarded
    }
}
