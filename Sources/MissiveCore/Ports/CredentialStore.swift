import Crypto
import Foundation

/// What a credential of an organisation may do (issue 6: users and API keys share them).
public struct Roles: OptionSet, Sendable, Hashable, Codable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Manages users, keys, webhooks and callbacks, and the organisation's profile.
    public static let admin = Roles(rawValue: 1)
    /// Submits and cancels letters (and follows them).
    public static let sender = Roles(rawValue: 2)
    /// Reads statuses, events and the business inbox.
    public static let reader = Roles(rawValue: 4)
    /// Reads evidence only.
    public static let auditor = Roles(rawValue: 8)
    /// Keys from before roles existed, and an organisation's first keys.
    public static let all: Roles = [.admin, .sender, .reader, .auditor]

    /// Who may read envelopes, events and reachability.
    public static let readers: Roles = [.admin, .sender, .reader]
    /// Who may read the organisation's business inbox (the letters it receives).
    public static let inboxReaders: Roles = [.admin, .reader]
    /// Who may read evidence.
    public static let evidenceReaders: Roles = [.admin, .sender, .reader, .auditor]

    /// The names, in a fixed order.
    public var names: [String] {
        [(Roles.admin, "admin"), (.sender, "sender"), (.reader, "reader"), (.auditor, "auditor")].compactMap { contains($0.0) ? $0.1 : nil }
    }

    /// Roles from names; nil if one is unknown.
    public init?(names: [String]) {
        var roles: Roles = []
        for name in names {
            switch name {
            case "admin": roles.insert(.admin)
            case "sender": roles.insert(.sender)
            case "reader": roles.insert(.reader)
            case "auditor": roles.insert(.auditor)
            default: return nil
            }
        }
        self = roles
    }
}

/// Who is calling, once a credential was checked.
public enum Principal: Sendable, Hashable {
    /// A sender organisation's API key with its roles; `test` keys get sandbox behaviour.
    case organisation(OrganisationID, key: APIKeyID, mode: Mode, roles: Roles)
    /// A recipient acting on their own mailbox.
    case mailbox(MailboxID)
    /// A person of a sender organisation, through a login session, with their roles; people
    /// act on live letters.
    case user(OrganisationID, user: UserID, roles: Roles)
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
        case .organisation(let organisation, _, _, _): return organisation.rawValue == username ? principal : nil
        case .mailbox: return principal
        case .user: return nil  // sessions are bearer tokens of the REST interface only
        }
    }
}

/// An API key whose secret is available for a digest check.
public struct DigestCredential: Sendable {
    public var key: APIKeyID
    public var mode: Mode
    public var secret: String
    public var roles: Roles
    public init(key: APIKeyID, mode: Mode, secret: String, roles: Roles = .all) {
        self.key = key
        self.mode = mode
        self.secret = secret
        self.roles = roles
    }
}

/// Hashing and minting of bearer secrets. API keys carry 190 bits of randomness, so a fast
/// hash is enough; people's passwords get a slow one (``PasswordHasher``).
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

extension Array where Element == UInt8 {
    /// The bytes of a hexadecimal string (either case); nil for an odd length or another
    /// character. The inverse of ``Sequence/hex``.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        func nibble(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self = bytes
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

/// An organisation's API key as its administrators see it (never the secret).
public struct APIKeyInfo: Sendable, Hashable {
    public var id: APIKeyID
    public var name: String?
    public var mode: Mode
    public var roles: Roles
    public var createdAt: Date
    public var lastUsedAt: Date?
    /// A rotated key keeps working until then.
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(id: APIKeyID, name: String?, mode: Mode, roles: Roles, createdAt: Date, lastUsedAt: Date?, expiresAt: Date?, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.mode = mode
        self.roles = roles
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }
}

/// Managing an organisation's API keys.
public protocol APIKeyStore: Sendable {
    func apiKeys(of organisation: OrganisationID) async throws -> [APIKeyInfo]
    /// Mints a key; returns it with its secret (shown once).
    func mintAPIKey(organisation: OrganisationID, mode: Mode, name: String?, roles: Roles) async throws -> (APIKeyInfo, String)
    /// Revokes a key of the organisation at once; refuses to revoke its last working admin
    /// key (`conflict`), so an organisation cannot lock itself out.
    func revokeAPIKey(_ key: APIKeyID, organisation: OrganisationID, at: Date) async throws
    /// Mints a successor with the same name, mode and roles; the old key keeps working until
    /// `until` (a grace period to deploy the new one).
    func rotateAPIKey(_ key: APIKeyID, organisation: OrganisationID, until: Date) async throws -> (APIKeyInfo, String)
}
