import Crypto
import Foundation
import MissiveCore

/// The operator's processing key on disk (a ``KeyFile`` holding the X25519 private key's 32
/// bytes): by default `DATA/keys/processing.key`, created on first run
/// (`processingKeyFile`, `MISSIVE_PROCESSING_KEY_FILE`). In production keep it off the data
/// volume and out of its backups (or in an HSM behind the same key type): with the blob
/// folder alone, documents cannot be read. Losing it makes every stored document unreadable
/// for print, eBill and scanning.
public enum ProcessingKeyFile {
    /// Where the key lives for a data folder unless configured otherwise.
    public static func defaultPath(dataDirectory: String) -> String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent("keys/processing.key").path
    }

    /// Loads the key at `path`, creating it first if there is none.
    public static func load(at path: String) throws -> ProcessingKey {
        let raw = try KeyFile.load(at: path, kind: "processing key")
        return ProcessingKey(privateKey: try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw))
    }
}
