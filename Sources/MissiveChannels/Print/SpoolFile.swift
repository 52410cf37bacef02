import Foundation
import MissiveCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Durable file operations for the print spool: atomic replace, fsynced folders, moves.
/// Failures throw `channelUnavailable` with the operation and `errno` text (no paths, no
/// content).
enum SpoolFile {
    /// Writes `data` to `url` atomically: a hidden temporary file in the same folder is
    /// written, fsynced and renamed over `url`. The folder itself is not synced (see
    /// ``syncDirectory(_:)``), so several files can share one folder sync.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temp = folder.appending(path: ".\(url.lastPathComponent).\(UInt32.random(in: .min ... .max)).tmp")
        let tempPath = temp.path(percentEncoded: false)
        let fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw failure("open") }
        var renamed = false
        defer { if !renamed { unlink(tempPath) } }
        do {
            defer { close(fd) }
            try writeAll(data, to: fd)
            guard fsync(fd) == 0 else { throw failure("fsync") }
        }
        guard rename(tempPath, url.path(percentEncoded: false)) == 0 else { throw failure("rename") }
        renamed = true
    }

    /// Makes renames and creations in a folder durable.
    static func syncDirectory(_ url: URL) throws {
        let fd = open(url.path(percentEncoded: false), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open folder") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync folder") }
    }

    /// Moves a file into another folder of the same file system (replacing a file of the
    /// same name there) and syncs both folders.
    static func move(_ source: URL, into folder: URL) throws {
        let destination = folder.appending(path: source.lastPathComponent)
        guard rename(source.path(percentEncoded: false), destination.path(percentEncoded: false)) == 0 else {
            throw failure("rename")
        }
        try syncDirectory(folder)
        try syncDirectory(source.deletingLastPathComponent())
    }

    /// Removes a file (gone already is fine) and syncs its folder.
    static func remove(_ url: URL) throws {
        guard unlink(url.path(percentEncoded: false)) == 0 || errno == ENOENT else { throw failure("unlink") }
        try syncDirectory(url.deletingLastPathComponent())
    }

    /// The visible `*.json` files of a folder, sorted by name; none if it does not exist.
    static func jsonFiles(in folder: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path(percentEncoded: false))) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map { folder.appending(path: $0) }
    }

    /// Reads a small file, refusing files larger than `limit` bytes.
    static func read(_ url: URL, limit: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else {
            throw MissiveError(.tooLarge, "The spool file is larger than \(limit) bytes.")
        }
        return data
    }

    /// True when a file name is a plain name inside its folder (no path, not hidden).
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0")
    }

    private static func writeAll(_ data: Data, to fd: Int32) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let written = write(fd, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("write")
                }
                offset += written
            }
        }
    }

    private static func failure(_ operation: String) -> MissiveError {
        MissiveError(.channelUnavailable, "The print spool failed (\(operation): \(String(cString: strerror(errno)))).")
    }
}
