import Crypto
import Foundation
import MissiveCore

/// The operator's secrets key on disk (a ``KeyFile``): by default `DATA/keys/secrets.key`,
/// better on another volume than the database (`MISSIVE_SECRETS_KEY_FILE`). Losing it makes
/// sealed secrets unreadable: WS-Security PasswordDigest then fails until keys are re-minted,
/// bearer keys keep working, and documents delivered to mailboxes can no longer be opened
/// by their recipients (the mailboxes' private keys are sealed with it).
public enum SecretsKeyFile {
    /// Where the key lives for a data folder unless configured otherwise.
    public static func defaultPath(dataDirectory: String) -> String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent("keys/secrets.key").path
    }

    /// Loads the key at `path`, creating it first if there is none.
    public static func load(at path: String) throws -> SecretSealer {
        SecretSealer(key: SymmetricKey(data: try KeyFile.load(at: path, kind: "secrets key")))
    }
}
