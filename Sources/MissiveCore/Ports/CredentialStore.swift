import Crypto
import Foundation

/// Who is calling, once a credential was checked.
public enum Principal: Sendable, Hashable {
    /// A sender organisation's API key; `test` keys get sandbox behaviour.
    case organisation(OrganisationID, key: APIKeyID, mode: Mode)
    /// A recipient acting on their own mailbox.
    case mailbox(MailboxID)
}

/// Looks up credentials by the hash of their secret; secrets themselves are never stored.
public protocol CredentialStore: Sendable {
    func principal(forSecretHash hash: String) async throws -> Principal?
    /// Records use of an API key (coarse: implementations may batch).
    func touch(_ key: APIKeyID, at: Date) async throws
    /// The secrets of an organisation's active keys that can be read back (sealed at rest),
    /// for WS-Security PasswordDigest, which hashes the secret with a nonce.
    func digestCredentials(of organisation: OrganisationID) async throws -> [DigestCredential]
    /// The organisation that verified this sender domain (SMTP `MAIL FROM`), if any.
    func senderDomainOwner(_ domain: String) async throws -> OrganisationID?
    /// Records a WS-Security nonce until `expiresAt`; false if it was already used (a replay).
    func claimNonce(_ nonce: String, organisation: OrganisationID, expiresAt: Date, now: Date) async throws -> Bool
}

extension CredentialStore {
    /// A user name and password pair (HTTP Basic, WS-Security PasswordText, SMTP AUTH): the
    /// user name is the organisation id and the password one of its API keys. A mailbox key
    /// comes back as `.mailbox` (for the caller to refuse); a key of another organisation, an
    /// unknown key or an absurdly long one as nil.
    public func principal(username: String, secret: String) async throws -> Principal? {
        guard secret.utf8.count <= 512, let principal = try await principal(forSecretHash: BearerSecret.hash(secret)) else { return nil }
        switch principal {
        case .organisation(let organisation, _, _): return organisation.rawValue == username ? principal : nil
        case .mailbox: return principal
        }
    }
}

/// An API key whose secret is available for a digest check.
public struct DigestCredential: Sendable {
    public var key: APIKeyID
    public var mode: Mode
    public var secret: String
    public init(key: APIKeyID, mode: Mode, secret: String) {
        self.key = key
        self.mode = mode
        self.secret = secret
    }
}

/// Hashing and minting of bearer secrets. API keys carry 190 bits of randomness, so a fast
/// hash is enough; people's passwords (later) get a slow one.
public enum BearerSecret {
    /// SHA-256 of the secret, lowercase hex.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hex
    }

    /// A new secret: `prefix` followed by 32 base62 characters.
    public static func mint(prefix: String) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var generator = SystemRandomNumberGenerator()
        return prefix + String((0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt64(62)))] })
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal.
    public var hex: String {
        var out = ""
        for byte in self {
            out += String(byte, radix: 16).leftPadded(to: 2)
        }
        return out
    }
}

extension SHA256Digest {
    /// Lowercase hexadecimal.
    public var hex: String { Array(self).hex }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
