import Crypto
import Dispatch
import Foundation
import MissiveCore
#if canImport(Glibc)
import Glibc
#endif

/// Content-addressed documents under `root/ab/cd/<sha256>`. A blob is written to a temporary
/// file, fsynced, renamed to its address and its folder fsynced before ``finish()`` returns.
/// Blocking file I/O runs on a dedicated queue, never on the concurrency pool.
public final class FileBlobStore: BlobStore {
    public let root: URL
    let io = DispatchQueue(label: "missive.blobs", qos: .userInitiated, attributes: .concurrent)

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        // Partial files from a crash are never referenced by a commit: clear them.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("tmp").path)) ?? [] {
            try? FileManager.default.removeItem(at: root.appendingPathComponent("tmp").appendingPathComponent(name))
        }
    }

    public func makeWriter(limit: Int64) throws -> any BlobWriter {
        FileBlobWriter(store: self, limit: limit)
    }

    public func read(_ storageKey: String) async throws -> Data {
        let url = url(for: storageKey)
        return try await perform {
            do { return try Data(contentsOf: url) } catch { throw MissiveError(.notFound, "The document is missing from the blob store.") }
        }
    }

    public func url(for storageKey: String) -> URL {
        let safe = storageKey.filter { $0.isHexDigit }
        let a = String(safe.prefix(2)), b = String(safe.dropFirst(2).prefix(2))
        return root.appendingPathComponent(a).appendingPathComponent(b).appendingPathComponent(safe)
    }

    func perform<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            io.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Writes buffered bytes durably at the content address for `sha256`.
    func persist(_ chunks: [Data], sha256: String) throws {
        if FileManager.default.fileExists(atPath: url(for: sha256).path) { return }
        let spill = try SpillFile(in: self)
        do {
            try spill.append(chunks)
            try publish(spill, sha256: sha256)
        } catch {
            spill.abandon()
            throw error
        }
    }

    /// fsyncs a spilled blob, renames it to its content address and fsyncs the folder.
    func publish(_ spill: SpillFile, sha256: String) throws {
        let final = url(for: sha256)
        if FileManager.default.fileExists(atPath: final.path) {
            spill.abandon()
            return
        }
        let folder = final.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard fsync(spill.fd) == 0 else { throw ioError("fsync") }
        guard rename(spill.path, final.path) == 0 else { throw ioError("rename") }
        spill.close()
        let dir = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            defer { Glibc.close(dir) }
            guard fsync(dir) == 0 else { throw ioError("fsync folder") }
        }
    }

    /// A temporary file for a blob being written.
    final class SpillFile: @unchecked Sendable {
        let path: String
        private(set) var fd: Int32
        private let store: FileBlobStore

        init(in store: FileBlobStore) throws {
            self.store = store
            path = store.root.appendingPathComponent("tmp").appendingPathComponent(UUID().uuidString).path
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw store.ioError("create") }
        }

        func append(_ chunks: [Data]) throws {
            for chunk in chunks {
                try chunk.withUnsafeBytes { buffer in
                    var offset = 0
                    while offset < buffer.count {
                        let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            throw store.ioError("write")
                        }
                        offset += written
                    }
                }
            }
        }

        func close() {
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }

        func abandon() {
            close()
            unlink(path)
        }

        deinit { close() }
    }

    func ioError(_ step: String) -> MissiveError {
        let code = errno
        if code == ENOSPC || code == EDQUOT {
            return MissiveError(.unavailable, "The data folder is full (\(step)).")
        }
        return MissiveError(.unavailable, "Document storage failed (\(step), errno \(code)).")
    }
}

/// Hashes a blob while it streams in, keeping at most ``spillThreshold`` bytes in memory
/// (larger blobs go to a temporary file as they arrive); persists it at its content address
/// on ``finish(check:)``.
final class FileBlobWriter: BlobWriter, @unchecked Sendable {
    // One writer is used by one request at a time; the lock documents and enforces it.
    private let lock = NSLock()
    private var chunks: [Data] = []
    private var buffered = 0
    private var spill: FileBlobStore.SpillFile?
    private var hasher = SHA256()
    private var count: Int64 = 0
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private let store: FileBlobStore
    private let limit: Int64
    /// Set after any failure: a failed writer never stores anything.
    private var failed = false
    static let spillThreshold = 1 << 20

    init(store: FileBlobStore, limit: Int64) {
        self.store = store
        self.limit = limit
    }

    func write(_ bytes: some Collection<UInt8> & Sendable) async throws {
        let toSpill: [Data]? = try lock.withLock {
            guard !failed else { throw MissiveError(.invalidRequest, "The document was already refused.") }
            count += Int64(bytes.count)
            guard count <= limit else {
                chunks = []
                failed = true
                throw MissiveError(.tooLarge, "The document is larger than the limit of \(limit) bytes.")
            }
            let data = Data(bytes)
            hasher.update(data: data)
            if head.count < 1024 { head += data.prefix(1024 - head.count) }
            tail = Array((tail + data.suffix(1024)).suffix(1024))
            chunks.append(data)
            buffered += data.count
            guard buffered >= Self.spillThreshold else { return nil }
            defer {
                chunks = []
                buffered = 0
            }
            return chunks
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
        let (chunks, digest, size, head, tail, spill, failed) = lock.withLock { (self.chunks, hasher.finalize().hex, count, self.head, self.tail, self.spill, self.failed) }
        guard !failed else { throw MissiveError(.invalidRequest, "The document was already refused.") }
        do { try check(head, tail) } catch {
            await discard()
            throw error
        }
        if let spill {
            do {
                try await store.perform { [store] in
                    try spill.append(chunks)
                    try store.publish(spill, sha256: digest)
                }
            } catch {
                spill.abandon()
                throw error
            }
        } else {
            try await store.perform { [store] in try store.persist(chunks, sha256: digest) }
        }
        lock.withLock {
            self.chunks = []
            self.spill = nil
        }
        return StoredBlob(storageKey: digest, byteSize: size, sha256: digest, head: head, tail: tail)
    }

    func discard() async {
        let spill = lock.withLock {
            chunks = []
            failed = true
            defer { self.spill = nil }
            return self.spill
        }
        spill?.abandon()
    }
}
