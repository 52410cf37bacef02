import Crypto
import Foundation

/// The operator's processing key: the X25519 key pair every document key is wrapped for, so
/// that Missive itself can open a stored document to scan, print or bill it. Each blob's
/// header names the key by ``id``, so a key can be replaced without guessing which one a
/// blob needs.
public struct ProcessingKey: Sendable {
    public let privateKey: Curve25519.KeyAgreement.PrivateKey
    /// The first 8 bytes of SHA-256 over the public key.
    public let id: Data

    public init(privateKey: Curve25519.KeyAgreement.PrivateKey) {
        self.privateKey = privateKey
        id = Data(SHA256.hash(data: privateKey.publicKey.rawRepresentation).prefix(8))
    }

    public var publicKey: Curve25519.KeyAgreement.PublicKey { privateKey.publicKey }

    /// A throwaway key, for tests and tools that never read back what they store.
    public static func ephemeral() -> ProcessingKey {
        ProcessingKey(privateKey: Curve25519.KeyAgreement.PrivateKey())
    }
}
