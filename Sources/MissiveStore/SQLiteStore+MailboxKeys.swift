import Crypto
import Foundation
import GRDB
import MissiveCore

/// Each mailbox's X25519 key pair, which the documents placed in it are wrapped for. The hub
/// hosts the mailboxes, so it keeps their private keys too: sealed with the operator's
/// secrets key (``SecretSealer``), bound to the mailbox id. The database alone (a copy, a
/// backup) then opens no letter; the hub with its secrets key opens them all.
extension SQLiteStore {
    public func encryptionKey(for mailbox: MailboxID) async throws -> Curve25519.KeyAgreement.PublicKey {
        if let existing = try await read({ db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT public_key FROM mailbox_encryption_keys WHERE mailbox_id = ?"), arguments: [mailbox.rawValue])
        }) {
            return try Curve25519.KeyAgreement.PublicKey(rawRepresentation: existing)
        }
        let privateKey = Curve25519.KeyAgreement.PrivateKey()
        let sealed = try sealer.seal(privateKey.rawRepresentation.base64EncodedString(), context: Self.keyContext(mailbox))
        // Two deliveries racing for a new mailbox: the first insert wins, both use its key.
        let publicKey = try await write { db in
            try db.cachedStatement(sql: """
                INSERT INTO mailbox_encryption_keys (mailbox_id, public_key, private_key_sealed, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(mailbox_id) DO NOTHING
                """).execute(arguments: [mailbox.rawValue, privateKey.publicKey.rawRepresentation, sealed, Date().storage])
            return try Data.fetchOne(db.cachedStatement(sql: "SELECT public_key FROM mailbox_encryption_keys WHERE mailbox_id = ?"), arguments: [mailbox.rawValue])
        }
        guard let publicKey else { throw MissiveError(.unavailable, "The mailbox's key could not be stored.") }
        return try Curve25519.KeyAgreement.PublicKey(rawRepresentation: publicKey)
    }

    public func decryptionKey(for mailbox: MailboxID) async throws -> Curve25519.KeyAgreement.PrivateKey? {
        let sealed = try await read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT private_key_sealed FROM mailbox_encryption_keys WHERE mailbox_id = ?"), arguments: [mailbox.rawValue])
        }
        guard let sealed else { return nil }
        guard let text = sealer.open(sealed, context: Self.keyContext(mailbox)), let raw = Data(base64Encoded: text) else {
            throw MissiveError(.unavailable, "The mailbox's key cannot be unsealed with this secrets key.")
        }
        return try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
    }

    /// What a mailbox's sealed private key is bound to.
    static func keyContext(_ mailbox: MailboxID) -> String {
        "mailbox-encryption-key:\(mailbox.rawValue)"
    }
}
