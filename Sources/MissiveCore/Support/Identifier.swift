import Foundation

/// A prefixed, time-ordered, unguessable identifier: `PREFIX_` followed by a 26-character
/// ULID (48 bits of milliseconds, 80 random bits, Crockford base32).
///
/// Identifiers sort by creation time when compared as strings, so store indexes stay
/// append-mostly, and cannot be guessed, so knowing one never reveals another.
public protocol PrefixedIdentifier: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, Comparable
where RawValue == String {
    /// The prefix without the underscore, e.g. `env`.
    static var prefix: String { get }
    init(unchecked rawValue: String)
}

extension PrefixedIdentifier {
    /// Makes a new identifier for the given instant.
    public static func generate(at date: Date = Date()) -> Self {
        Self(unchecked: "\(prefix)_\(ULID.make(at: date))")
    }

    /// Accepts only well-formed identifiers of this type (right prefix, 26 base32 characters).
    public init?(rawValue: String) {
        guard rawValue.utf8.count == Self.prefix.utf8.count + 27,
              rawValue.hasPrefix(Self.prefix + "_"),
              ULID.isValid(rawValue.utf8.suffix(26))
        else { return nil }
        self.init(unchecked: rawValue)
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let value = Self(rawValue: raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Not a \(Self.prefix) identifier")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Universally unique lexicographically sortable identifiers.
enum ULID {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    static func make(at date: Date) -> String {
        var millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var out = [UInt8](repeating: 0, count: 26)
        for index in stride(from: 9, through: 0, by: -1) {
            out[index] = alphabet[Int(millis & 31)]
            millis >>= 5
        }
        var generator = SystemRandomNumberGenerator()
        var random = generator.next() as UInt64
        var random2 = generator.next() as UInt64
        for index in 10..<26 {
            if index < 22 {
                out[index] = alphabet[Int(random & 31)]
                random >>= 5
            } else {
                out[index] = alphabet[Int(random2 & 31)]
                random2 >>= 5
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func isValid(_ bytes: Substring.UTF8View) -> Bool {
        bytes.count == 26 && bytes.allSatisfy { alphabet.contains($0) }
    }
}

/// Identifies an envelope (`env_…`).
public struct EnvelopeID: PrefixedIdentifier {
    public static let prefix = "env"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a sender organisation (`org_…`).
public struct OrganisationID: PrefixedIdentifier {
    public static let prefix = "org"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a status event (`evt_…`); also the event feed's cursor.
public struct EventID: PrefixedIdentifier {
    public static let prefix = "evt"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a letter in a recipient's mailbox (`ltr_…`).
public struct LetterID: PrefixedIdentifier {
    public static let prefix = "ltr"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a recipient's digital mailbox (`mbx_…`).
public struct MailboxID: PrefixedIdentifier {
    public static let prefix = "mbx"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a webhook subscription (`whk_…`).
public struct WebhookID: PrefixedIdentifier {
    public static let prefix = "whk"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies one webhook message; sent as the `webhook-id` header (`msg_…`).
public struct DeliveryID: PrefixedIdentifier {
    public static let prefix = "msg"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies an API key (`key_…`); the secret itself is never stored.
public struct APIKeyID: PrefixedIdentifier {
    public static let prefix = "key"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a directory entry (`rcp_…`).
public struct DirectoryEntryID: PrefixedIdentifier {
    public static let prefix = "rcp"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a sealed evidence record (`evd_…`).
public struct EvidenceID: PrefixedIdentifier {
    public static let prefix = "evd"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a verification letter of an organisation (`ver_…`).
public struct VerificationID: PrefixedIdentifier {
    public static let prefix = "ver"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}

/// Identifies a person's account in an organisation (`usr_…`).
public struct UserID: PrefixedIdentifier {
    public static let prefix = "usr"
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
}
