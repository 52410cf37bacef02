import Crypto
import Foundation
import MissiveCore
#if canImport(Glibc)
import Glibc
#endif

/// The operator's secrets key on disk: 32 random bytes, base64, in a file readable only by
/// its owner. Created on first use (atomically: a hub and an admin command starting together
/// end up with the same key); by default `DATA/keys/secrets.key`, better on another volume
/// than the database (`MISSIVE_SECRETS_KEY_FILE`). Losing it makes sealed secrets unreadable:
/// WS-Security PasswordDigest then fails until keys are re-minted; bearer keys keep working.
public enum SecretsKeyFile {
    /// Where the key lives for a data folder unless configured otherwise.
    public static func defaultPath(dataDirectory: String) -> String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent("keys/secrets.key").path
    }

    /// Loads the key at `path`, creating it first if there is none.
    public static func load(at path: String) throws -> SecretSealer {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        if let sealer = try read(url) { return sealer }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let temporary = folder.appendingPathComponent(".secrets-\(UUID().uuidString).tmp")
        let text = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw MissiveError(.unavailable, "Cannot create the secrets key in \(folder.path).") }
        let written = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        let synced = fsync(fd)
        close(fd)
        defer { unlink(temporary.path) }
        guard written == text.utf8.count, synced == 0 else { throw MissiveError(.unavailable, "Cannot write the secrets key in \(folder.path).") }
        // link(2) fails if the key appeared meanwhile: then the other one wins.
        if link(temporary.path, url.path) != 0, errno != EEXIST {
            throw MissiveError(.unavailable, "Cannot create \(path).")
        }
        let directory = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
        guard let sealer = try read(url) else { throw MissiveError(.unavailable, "Cannot read \(path).") }
        return sealer
    }

    static func read(_ url: URL) throws -> SecretSealer? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let text = try String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: text), bytes.count == 32 else {
            throw MissiveError(.invalidField, "\(url.path) is not a Missive secrets key (32 bytes, base64).")
        }
        return SecretSealer(key: SymmetricKey(data: bytes))
    }
}
