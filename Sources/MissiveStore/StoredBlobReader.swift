import Crypto
import Foundation
import MissiveCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads one stored blob from disk, blocking (run it on the store's I/O queue). A sealed blob
/// is read segment by segment once ``unlock(_:)`` gave it its document key, each segment
/// authenticated before it is returned. A plaintext blob from before encryption at rest is
/// read in 64 KiB chunks and must hash to its content address, checked after the last chunk.
final class StoredBlobReader: @unchecked Sendable {
    enum Format {
        case sealed(SealedBlobHeader)
        case plaintext
    }

    static let plaintextChunk = 64 * 1024
    let format: Format
    private let storageKey: String
    private let fd: Int32
    private let size: Int
    private var offset: Int
    private var cipher: SegmentCipher?
    private var hasher = SHA256()
    private var finished = false

    /// Opens the blob at `url`; throws `notFound` if there is none.
    init(url: URL, storageKey: String) throws {
        self.storageKey = storageKey
        fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw errno == ENOENT || errno == ENOTDIR || errno == EISDIR
                ? MissiveError(.notFound, "The document is missing from the blob store.")
                : MissiveError(.unavailable, "A stored document cannot be opened (errno \(errno)).")
        }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw MissiveError(.notFound, "The document is missing from the blob store.")
        }
        size = Int(status.st_size)
        do {
            let prefix = try Self.read(fd, at: 0, count: min(size, SealedBlobHeader.size))
            if SealedBlobHeader.isSealed(prefix) {
                format = .sealed(try SealedBlobHeader(parsing: prefix))
                offset = SealedBlobHeader.size
            } else if FileBlobStore.isContentAddress(storageKey) {
                format = .plaintext
                offset = 0
            } else {
                throw MissiveError(.unavailable, "A stored document is cut short or not in a known format.")
            }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Gives a sealed blob its document key (a plaintext blob needs none).
    func unlock(_ documentKey: SymmetricKey) {
        if case .sealed(let header) = format {
            cipher = SegmentCipher(key: documentKey, header: header, storageKey: storageKey)
        }
    }

    /// The next chunk of plaintext; nil after the last one.
    func next() throws -> Data? {
        guard !finished else { return nil }
        switch format {
        case .sealed(let header):
            guard var cipher else { preconditionFailure("unlock(_:) a sealed blob before reading it") }
            let remaining = size - offset
            let final = remaining <= header.segmentSize + SegmentCipher.tagSize
            let segment = try Self.read(fd, at: offset, count: min(remaining, header.segmentSize + SegmentCipher.tagSize))
            offset += segment.count
            let plaintext = try cipher.open(segment, final: final)
            self.cipher = cipher
            finished = final
            return plaintext
        case .plaintext:
            guard offset < size else {
                finished = true
                guard hasher.finalize().hex == storageKey else {
                    throw MissiveError(.unavailable, "A stored plaintext document does not match its content address.")
                }
                return nil
            }
            let chunk = try Self.read(fd, at: offset, count: min(size - offset, Self.plaintextChunk))
            offset += chunk.count
            hasher.update(data: chunk)
            return chunk
        }
    }

    /// Reads what is left, in one piece.
    func readAll() throws -> Data {
        var data = Data()
        data.reserveCapacity(size)
        while let chunk = try next() { data.append(chunk) }
        return data
    }

    /// Exactly `count` bytes at `offset`.
    private static func read(_ fd: Int32, at offset: Int, count: Int) throws -> Data {
        var data = Data(count: count)
        var done = 0
        try data.withUnsafeMutableBytes { buffer in
            while done < count {
                let got = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if got < 0, errno == EINTR { continue }
                guard got > 0 else { throw MissiveError(.unavailable, "A stored document could not be read (it changed or is cut short).") }
                done += got
            }
        }
        return data
    }
}
