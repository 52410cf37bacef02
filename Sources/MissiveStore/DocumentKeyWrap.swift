import Crypto
import Foundation
import MissiveCore

/// A document key wrapped for one X25519 public key with HPKE (RFC 9180 base mode,
/// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM). The same 81 bytes sit in a blob's
/// header (for the processing key) and with a mailbox letter (for the mailbox's key):
///
/// ```
/// 1 byte   version (1)
/// 32 bytes HPKE encapsulated key
/// 48 bytes the 32-byte document key sealed, with its tag
/// ```
///
/// The blob's storage key is the HPKE associated data, so a wrap opens the key of that blob
/// only; copied onto another letter or header it fails.
struct DocumentKeyWrap: Sendable, Hashable {
    static let version: UInt8 = 1
    static let ciphersuite = HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256)
    static let info = Data("missive document key v1".utf8)
    static let encapsulatedKeySize = 32
    static let sealedKeySize = 48
    /// The serialized size.
    static let size = 1 + encapsulatedKeySize + sealedKeySize

    let encapsulatedKey: Data
    let sealedKey: Data

    /// Wraps `documentKey` for `recipient`.
    init(wrapping documentKey: SymmetricKey, for recipient: Curve25519.KeyAgreement.PublicKey, storageKey: String) throws {
        var sender = try HPKE.Sender(recipientKey: recipient, ciphersuite: Self.ciphersuite, info: Self.info)
        sealedKey = try documentKey.withUnsafeBytes { try sender.seal(Data($0), authenticating: Data(storageKey.utf8)) }
        encapsulatedKey = sender.encapsulatedKey
        precondition(encapsulatedKey.count == Self.encapsulatedKeySize && sealedKey.count == Self.sealedKeySize)
    }

    /// Parses a serialized wrap; throws if it is not one.
    init(_ bytes: Data) throws {
        let bytes = Data(bytes)
        guard bytes.count == Self.size, bytes.first == Self.version else {
            throw MissiveError(.unavailable, "A document key wrap has an unknown format.")
        }
        encapsulatedKey = bytes.subdata(in: 1..<(1 + Self.encapsulatedKeySize))
        sealedKey = bytes.subdata(in: (1 + Self.encapsulatedKeySize)..<Self.size)
    }

    /// The serialized wrap.
    var bytes: Data {
        Data([Self.version]) + encapsulatedKey + sealedKey
    }

    /// The document key; throws if `privateKey` is not the one it was wrapped for or the wrap
    /// belongs to another blob.
    func unwrap(with privateKey: Curve25519.KeyAgreement.PrivateKey, storageKey: String) throws -> SymmetricKey {
        do {
            var recipient = try HPKE.Recipient(privateKey: privateKey, ciphersuite: Self.ciphersuite, info: Self.info, encapsulatedKey: encapsulatedKey)
            let key = try recipient.open(sealedKey, authenticating: Data(storageKey.utf8))
            guard key.count == 32 else { throw MissiveError(.unavailable, "A document key has the wrong size.") }
            return SymmetricKey(data: key)
        } catch {
            throw MissiveError(.unavailable, "The key does not open this stored document (wrong key, or the wrap belongs to another document).")
        }
    }
}
