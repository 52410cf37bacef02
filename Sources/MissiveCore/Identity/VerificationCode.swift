import Foundation

/// The one-time code a verification letter carries to an organisation's postal address:
/// 8 symbols of the ``UnambiguousAlphabet`` (no 0/O/1/I/L, about 40 bits), printed as
/// `XXXX-XXXX`. Typing it back proves the organisation receives mail there. It expires
/// after ``defaultLifetime``; being single-use and rate-limited is the store's part.
/// Codes are stored only as a keyed hash: see ``VerificationCodeHasher``.
public enum VerificationCode {
    /// Symbols in a code, without the dash.
    public static let length = 8
    /// How long a letter's code stays valid: 30 days, time for the post and a holiday.
    public static let defaultLifetime: TimeInterval = 30 * 24 * 3600

    /// The result of checking a typed code.
    public enum Outcome: Sendable, Hashable {
        /// The right code, in time.
        case verified
        /// The code's time is up (whatever was typed): a new letter is needed.
        case expired
        /// Not the code (or not a code at all).
        case wrongCode
    }

    /// A new code, as printed: `XXXX-XXXX`.
    public static func generate() -> String {
        UnambiguousAlphabet.grouped(UnambiguousAlphabet.random(count: length), size: 4)
    }

    /// The canonical form of a typed code (8 capitals, no separators), tolerant of case,
    /// spaces and dashes; nil for anything else.
    public static func normalise(_ input: String) -> String? {
        UnambiguousAlphabet.canonical(input, length: length)
    }

    /// Whether a code issued at `issuedAt` is no longer valid at `now` (from exactly
    /// `issuedAt + lifetime` on).
    public static func isExpired(issuedAt: Date, now: Date, lifetime: TimeInterval = defaultLifetime) -> Bool {
        now >= issuedAt.addingTimeInterval(lifetime)
    }
}
