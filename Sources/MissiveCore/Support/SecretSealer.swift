import Crypto
import Foundation

/// Seals the few secrets Missive must be able to read back — API keys for WS-Security
/// PasswordDigest (whose digest needs the secret itself) and, later, credentials for
/// outbound calls — with AES-256-GCM under the operator's secrets key. The database alone
/// (a copy, a backup) then never reveals them; the key lives in its own file.
///
/// Each sealed value is bound to a context (e.g. the API key's id) as associated data, so a
/// sealed blob copied onto another row does not open.
public struct SecretSealer: Sendable {
    let key: SymmetricKey

    public init(key: SymmetricKey) {
        precondition(key.bitCount == 256, "The secrets key is 256 bits.")
        self.key = key
    }

    /// A throwaway key, for tests and tools that never read back what they seal.
    public static func ephemeral() -> SecretSealer {
        SecretSealer(key: SymmetricKey(size: .bits256))
    }

    /// Nonce, ciphertext and tag in one blob.
    public func seal(_ secret: String, context: String) throws -> Data {
        guard let combined = try AES.GCM.seal(Data(secret.utf8), using: key, authenticating: Data(context.utf8)).combined else {
            throw MissiveError(.unavailable, "A secret could not be sealed.")
        }
        return combined
    }

    /// The secret, or nil if the blob was not sealed by this key for this context.
    public func open(_ sealed: Data, context: String) -> String? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
              let plain = try? AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
        else { return nil }
        return String(data: plain, encoding: .utf8)
    }

    /// A key for one other purpose, derived from the secrets key (HKDF-SHA256 under `label`),
    /// so the purposes never share a key and no second file is needed.
    public func derivedKey(label: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data("missive.\(label).v1".utf8), outputByteCount: 32)
    }
}
