/// The bearer token of a person's login session, given to the browser or admin client once
/// both steps have passed: `mss_` followed by 32 base62 characters (190 random bits).
/// Like API keys, only its SHA-256 is stored; a fast hash suffices for that much
/// randomness. Validity is the ``SessionPolicy``'s business.
public enum SessionToken {
    /// What every session token starts with, so a leaked one is recognisable (and
    /// scannable) as Missive's.
    public static let prefix = "mss_"

    /// A new token.
    public static func mint() -> String {
        BearerSecret.mint(prefix: prefix)
    }

    /// The stored form: SHA-256 of the token, lowercase hex.
    public static func hash(_ token: String) -> String {
        BearerSecret.hash(token)
    }

    /// Whether `token` has the shape of a minted token; a cheap check before any lookup.
    public static func isWellFormed(_ token: String) -> Bool {
        guard token.utf8.count == prefix.utf8.count + 32, token.hasPrefix(prefix) else { return false }
        return token.utf8.dropFirst(prefix.utf8.count).allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        }
    }
}
