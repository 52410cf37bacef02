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

    /// Writes `bytes` durably at the content address for `sha256`.
    func persist(_ chunks: [Data], sha256: String) throws {
        let final = url(for: sha256)
        if FileManager.default.fileExists(atPath: final.path) { return }
        let folder = final.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temp = root.appendingPathComponent("tmp").appendingPathComponent(UUID().uuidString)
        let fd = open(temp.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ioError("create") }
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(temp.path) }
        }
        for chunk in chunks {
            try chunk.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw ioError("write")
                    }
                    offset += written
                }
            }
        }
        guard fsync(fd) == 0 else { throw ioError("fsync") }
        guard rename(temp.path, final.path) == 0 else { throw ioError("rename") }
        ok = true
        let dir = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            defer { close(dir) }
            guard fsync(dir) == 0 else { throw ioError("fsync folder") }
        }
    }

    private func ioError(_ step: String) -> MissiveError {
        let code = errno
        if code == ENOSPC || code == EDQUOT {
            return MissiveError(.unavailable, "The data folder is full (\(step)).")
        }
        return MissiveError(.unavailable, "Document storage failed (\(step), errno \(code)).")
    }
}

/// Buffers a blob while hashing it; persists it at its content address on ``finish()``.
final class FileBlobWriter: BlobWriter, @unchecked Sendable {
    // One writer is used by one request at a time; the lock documents and enforces it.
    private let lock = NSLock()
    private var chunks: [Data] = []
    private var hasher = SHA256()
    private var count: Int64 = 0
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private let store: FileBlobStore
    private let limit: Int64

    init(store: FileBlobStore, limit: Int64) {
        self.store = store
        self.limit = limit
    }

    func write(_ bytes: some Collection<UInt8> & Sendable) async throws {
        try lock.withLock {
            count += Int64(bytes.count)
            guard count <= limit else {
                chunks = []
                throw MissiveError(.tooLarge, "The document is larger than the limit of \(limit) bytes.")
            }
            let data = Data(bytes)
            hasher.update(data: data)
            if head.count < 1024 { head += data.prefix(1024 - head.count) }
            tail = Array((tail + data.suffix(1024)).suffix(1024))
            chunks.append(data)
        }
    }

    func finish(check: @Sendable (_ head: [UInt8], _ tail: [UInt8]) throws -> Void) async throws -> StoredBlob {
        let (chunks, digest, size, head, tail) = lock.withLock { (self.chunks, hasher.finalize().hex, count, self.head, self.tail) }
        do { try check(head, tail) } catch {
            lock.withLock { self.chunks = [] }
            throw error
        }
        try await store.perform { [store] in try store.persist(chunks, sha256: digest) }
        lock.withLock { self.chunks = [] }
        return StoredBlob(storageKey: digest, byteSize: size, sha256: digest, head: head, tail: tail)
    }

    func discard() async {
        lock.withLock { chunks = [] }
    }
}
