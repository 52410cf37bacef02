/// Single-use codes that stand in for a TOTP code when a person has lost their
/// authenticator: ten of them, each 10 symbols of the ``UnambiguousAlphabet`` (about 49
/// bits) shown as `xxxxx-xxxxx`. Only their hashes are stored; a code that matches is
/// spent, and the caller deletes its hash.
///
/// A fast hash (SHA-256 of the canonical form) is enough: the codes are random and long,
/// and guessing them online is slowed by the ``LoginThrottle``.
public enum RecoveryCodes {
    /// How many codes a set has.
    public static let count = 10
    /// Symbols in a code, without the dash.
    public static let length = 10

    /// A new set of `count` distinct codes, lowercase, grouped `xxxxx-xxxxx`. Show them
    /// once; store ``hash(_:)`` of each.
    public static func generate(count: Int = RecoveryCodes.count) -> [String] {
        var codes: [String] = []
        while codes.count < count {
            let code = UnambiguousAlphabet.grouped(UnambiguousAlphabet.random(count: length), size: 5).lowercased()
            if !codes.contains(code) { codes.append(code) }
        }
        return codes
    }

    /// The canonical form of a typed code (capitals, no dashes or spaces), or nil when it
    /// is not 10 symbols of the alphabet.
    public static func normalise(_ input: String) -> String? {
        UnambiguousAlphabet.canonical(input, length: length)
    }

    /// The stored form: SHA-256 (lowercase hex) of the canonical code, or nil when `code`
    /// is not a recovery code.
    public static func hash(_ code: String) -> String? {
        normalise(code).map(BearerSecret.hash)
    }

    /// The index in `storedHashes` of the hash `input` matches, or nil. Every stored hash
    /// is compared, in constant time, whatever matches first.
    public static func match(_ input: String, against storedHashes: [String]) -> Int? {
        guard let hash = hash(input) else { return nil }
        var matched: Int?
        for (index, stored) in storedHashes.enumerated() where ConstantTime.equals(hash, stored) && matched == nil {
            matched = index
        }
        return matched
    }
}
