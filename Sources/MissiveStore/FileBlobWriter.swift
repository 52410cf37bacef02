import Crypto
import Foundation
import MissiveCore
import Synchronization

/// Seals a blob while it streams in: hashes the plaintext and keeps its first and last KiB,
/// seals each full segment as soon as the next byte shows it is not the last, and keeps at
/// most ``spillThreshold`` bytes of ciphertext in memory (more goes to a temporary file as it
/// arrives). At most one segment of plaintext is held, and none is ever written.
/// ``finish(check:)`` seals the final segment and makes the blob durable under a new random
/// storage key, wrapped for the store's processing key.
final class FileBlobWriter: BlobWriter, @unchecked Sendable {
    // One writer is used by one request at a time; the lock documents and enforces it.
    private let lock = NSLock()
    private let store: FileBlobStore
    private let limit: Int64
    let storageKey: String
    private var cipher: SegmentCipher
    /// Plaintext not sealed yet: at most one segment after each write.
    private var pending: [UInt8] = []
    /// Sealed bytes not yet in the spill file, the header first.
    private var sealed: [Data]
    private var buffered: Int
    private var spill: FileBlobStore.SpillFile?
    private var hasher = SHA256()
    private var count: Int64 = 0
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    /// Set after any failure: a failed writer never stores anything.
    private var failed = false
    /// Set once the blob is durable: finishing again answers the same blob.
    private var stored: StoredBlob?
    static let spillThreshold = 1 << 20

    init(store: FileBlobStore, limit: Int64) throws {
        self.store = store
        self.limit = limit
        storageKey = FileBlobStore.newStorageKey()
        let documentKey = SymmetricKey(size: .bits256)
        let wrap = try DocumentKeyWrap(wrapping: documentKey, for: store.processingKey.publicKey, storageKey: storageKey)
        let header = SealedBlobHeader(segmentSize: store.segmentSize, keyID: store.processingKey.id, wrap: wrap)
        cipher = SegmentCipher(key: documentKey, header: header, storageKey: storageKey)
        sealed = [header.bytes]
        buffered = SealedBlobHeader.size
    }

    func write(_ bytes: some Collection<UInt8> & Sendable) async throws {
        let toSpill: [Data]? = try lock.withLock {
            guard !failed, stored == nil else { throw Self.refused }
            count += Int64(bytes.count)
            guard count <= limit else {
                fail()
                throw MissiveError(.tooLarge, "The document is larger than the limit of \(limit) bytes.")
            }
            let data = Data(bytes)
            hasher.update(data: data)
            if head.count < 1024 { head += data.prefix(1024 - head.count) }
            tail = Array((tail + data.suffix(1024)).suffix(1024))
            pending.append(contentsOf: data)
            do { try sealFullSegments() } catch {
                fail()
                throw error
            }
            guard buffered >= Self.spillThreshold else { return nil }
            defer {
                sealed = []
                buffered = 0
            }
            return sealed
        }
        if let toSpill {
            let existing = lock.withLock { spill }
            let file = try await store.perform { [store] in
                let file = try existing ?? FileBlobStore.SpillFile(in: store)
                try file.append(toSpill)
                return file
            }
            lock.withLock { spill = file }
        }
    }

    func finish(check: @Sendable (_ head: [UInt8], _ tail: [UInt8]) throws -> Void) async throws -> StoredBlob {
        let (done, head, tail) = try lock.withLock { () throws -> (StoredBlob?, [UInt8], [UInt8]) in
            guard !failed else { throw Self.refused }
            return (stored, self.head, self.tail)
        }
        if let done { return done }
        do { try check(head, tail) } catch {
            await discard()
            throw error
        }
        let (chunks, spill, blob) = try lock.withLock { () throws -> ([Data], FileBlobStore.SpillFile?, StoredBlob) in
            guard !failed else { throw Self.refused }
            let last: Data
            do { last = try cipher.seal(pending, final: true) } catch {
                fail()
                throw error
            }
            let blob = StoredBlob(storageKey: storageKey, byteSize: count, sha256: hasher.finalize().hex, head: head, tail: tail)
            defer {
                sealed = []
                pending = []
                self.spill = nil
            }
            return (sealed + [last], self.spill, blob)
        }
        do {
            try await store.perform { [store, storageKey] in
                let file = try spill ?? FileBlobStore.SpillFile(in: store)
                do {
                    try file.append(chunks)
                    try store.publish(file, storageKey: storageKey)
                    store.uncommitted.withLock { $0[storageKey] = .now }
                } catch {
                    file.abandon()
                    throw error
                }
            }
        } catch {
            lock.withLock { failed = true }
            throw error
        }
        lock.withLock { stored = blob }
        return blob
    }

    func discard() async {
        let spill = lock.withLock {
            fail()
            defer { self.spill = nil }
            return self.spill
        }
        spill?.abandon()
    }

    /// Drops everything buffered; the writer refuses all further calls. Call with the lock held.
    private func fail() {
        failed = true
        sealed = []
        pending = []
        buffered = 0
    }

    /// Seals every segment that is known not to be the last (more bytes follow it).
    private func sealFullSegments() throws {
        var start = 0
        while pending.count - start > store.segmentSize {
            let segment = try cipher.seal(pending[start..<(start + store.segmentSize)], final: false)
            sealed.append(segment)
            buffered += segment.count
            start += store.segmentSize
        }
        if start > 0 { pending.removeFirst(start) }
    }

    private static var refused: MissiveError { MissiveError(.invalidRequest, "The document was already refused.") }
}
