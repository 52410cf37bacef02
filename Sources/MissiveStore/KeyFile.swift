import Crypto
import Foundation
import MissiveCore
#if canImport(Glibc)
import Glibc
#endif

/// A 256-bit key in a file of its own: 32 random bytes, base64, readable only by its owner.
/// Created on first use atomically: written to a temporary file in the same folder, fsynced,
/// then hard-linked into place, so a hub and an admin command starting together end up with
/// the same key (`link(2)` fails if the other one won).
enum KeyFile {
    /// The key at `path`, created first if there is none; `kind` names it in errors.
    static func load(at path: String, kind: String) throws -> Data {
        let url = URL(fileURLWithPath: path)
        if let key = try read(url, kind: kind) { return key }
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent)-\(UUID().uuidString).tmp")
        let text = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw MissiveError(.unavailable, "Cannot create the \(kind) in \(folder.path).") }
        let written = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        let synced = fsync(fd)
        close(fd)
        defer { unlink(temporary.path) }
        guard written == text.utf8.count, synced == 0 else { throw MissiveError(.unavailable, "Cannot write the \(kind) in \(folder.path).") }
        if link(temporary.path, url.path) != 0, errno != EEXIST {
            throw MissiveError(.unavailable, "Cannot create \(path).")
        }
        let directory = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
        guard let key = try read(url, kind: kind) else { throw MissiveError(.unavailable, "Cannot read \(path).") }
        return key
    }

    /// The key at `url`, nil if there is no file; throws if the file is not a key.
    static func read(_ url: URL, kind: String) throws -> Data? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let text = try String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: text), bytes.count == 32 else {
            throw MissiveError(.invalidField, "\(url.path) is not a Missive \(kind) (32 bytes, base64).")
        }
        return bytes
    }
}
