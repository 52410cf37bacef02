import Crypto
import Dispatch
import Foundation
import MissiveCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Documents encrypted at rest under `root/ab/cd/<storage key>`, the storage key a random
/// 128-bit hex id. Each blob is sealed with its own AES-256-GCM document key in 64 KiB
/// segments (``SegmentCipher``) behind a header holding that key wrapped for the operator's
/// processing key (``SealedBlobHeader``); the plaintext is hashed and checked as it streams in
/// and never reaches the disk. A blob is written to a temporary file, fsynced, renamed into
/// place and its folder fsynced before ``FileBlobWriter/finish(check:)`` returns.
///
/// Blobs of older data folders — plaintext, under their SHA-256 as storage key — are still
/// read (and must match their hash); they have no document key, so they cannot be wrapped for
/// a mailbox. Blocking file I/O runs on a dedicated queue, never on the concurrency pool.
public final class FileBlobStore: BlobStore {
    public let root: URL
    let processingKey: ProcessingKey
    /// Plaintext bytes per segment of new blobs.
    let segmentSize: Int
    let io = DispatchQueue(label: "missive.blobs", qos: .userInitiated, attributes: .concurrent)
    /// Blobs written by this process and not yet referenced by a commit, with when they were
    /// written (see ``sweepUncommitted(olderThan:)``).
    let uncommitted = Mutex<[String: ContinuousClock.Instant]>([:])

    /// Opens the store at `root`; new blobs are wrapped for `processingKey`, which also opens
    /// them for print, eBill and scanning.
    public convenience init(root: URL, processingKey: ProcessingKey) throws {
        try self.init(root: root, processingKey: processingKey, segmentSize: SealedBlobHeader.defaultSegmentSize)
    }

    /// A store writing segments of `segmentSize` plaintext bytes (tests use small ones).
    init(root: URL, processingKey: ProcessingKey, segmentSize: Int) throws {
        precondition(SealedBlobHeader.segmentSizes.contains(segmentSize))
        self.root = root
        self.processingKey = processingKey
        self.segmentSize = segmentSize
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        // Partial files from a crash are never referenced by a commit: clear them.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("tmp").path)) ?? [] {
            try? FileManager.default.removeItem(at: root.appendingPathComponent("tmp").appendingPathComponent(name))
        }
    }

    public func makeWriter(limit: Int64) throws -> any BlobWriter {
        try FileBlobWriter(store: self, limit: limit)
    }

    /// A new random storage key: 32 lowercase hex digits.
    static func newStorageKey() -> String {
        SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) }.hex
    }

    /// True for the SHA-256 content addresses of blobs stored before encryption at rest.
    static func isContentAddress(_ storageKey: String) -> Bool {
        storageKey.utf8.count == 64 && storageKey.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Where a blob lives; anything but hex digits is dropped from the key, so no key leaves
    /// the root.
    func url(for storageKey: String) -> URL {
        let safe = storageKey.filter { $0.isHexDigit }
        let a = String(safe.prefix(2)), b = String(safe.dropFirst(2).prefix(2))
        return root.appendingPathComponent(a).appendingPathComponent(b).appendingPathComponent(safe)
    }

    func perform<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            io.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// fsyncs a written blob, renames it to its storage key and fsyncs the folder.
    func publish(_ spill: SpillFile, storageKey: String) throws {
        let final = url(for: storageKey)
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

    public func committed(_ storageKeys: [String]) {
        uncommitted.withLock { pending in
            for key in storageKeys { pending[key] = nil }
        }
    }

    /// Removes the blobs this process wrote more than `age` ago that no commit took up (a
    /// refused submission, an idempotent replay, a request that failed after its documents
    /// were stored). Only blobs written by this process are candidates, so a blob of an
    /// envelope committed before a restart is never touched; one orphaned by a crash stays.
    /// Returns how many were removed.
    @discardableResult
    public func sweepUncommitted(olderThan age: Duration) async -> Int {
        let cutoff = ContinuousClock.now - age
        let stale = uncommitted.withLock { pending in
            let keys = pending.filter { $0.value < cutoff }.map(\.key)
            for key in keys { pending[key] = nil }
            return keys
        }
        for key in stale {
            let url = url(for: key)
            _ = try? await perform { try FileManager.default.removeItem(at: url) }
        }
        return stale.count
    }

    func ioError(_ step: String) -> MissiveError {
        let code = errno
        if code == ENOSPC || code == EDQUOT {
            return MissiveError(.unavailable, "The data folder is full (\(step)).")
        }
        return MissiveError(.unavailable, "Document storage failed (\(step), errno \(code)).")
    }
}
