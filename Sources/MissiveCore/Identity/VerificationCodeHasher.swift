import Crypto
import Foundation

/// Hashes postal verification codes for storage and checks typed codes against them, with
/// HMAC-SHA256 under a server key.
///
/// Why keyed: a code has only about 40 bits, so any unkeyed hash, salted or not, is undone
/// by trying every code — seconds on a GPU — by whoever has a copy of the database, who
/// could then verify an address they do not receive mail at. Without the key (kept out of
/// the database) the stored hash tells nothing. Each hash is also bound to a `context`
/// (the organisation's id), so a hash copied onto another organisation's row never matches.
public struct VerificationCodeHasher: Sendable {
    private let key: SymmetricKey

    /// A hasher under `key`, at least 256 bits and used for nothing else (e.g. derived
    /// with HKDF from the operator's secrets key under its own label).
    public init(key: SymmetricKey) {
        precondition(key.bitCount >= 256, "A verification code key has at least 256 bits.")
        self.key = key
    }

    /// The stored form of `code` for `context`, lowercase hex; nil when `code` is not a
    /// verification code.
    public func hash(_ code: String, context: String) -> String? {
        guard let canonical = VerificationCode.normalise(code) else { return nil }
        let message = Array("missive.verification-code.v1\0\(context)\0\(canonical)".utf8)
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: key)).hex
    }

    /// Whether `input` is the code `storedHash` was made from, for `context`; compared in
    /// constant time.
    public func matches(_ input: String, storedHash: String, context: String) -> Bool {
        guard let hash = hash(input, context: context) else { return false }
        return ConstantTime.equals(hash, storedHash)
    }

    /// Checks a typed code: ``VerificationCode/Outcome/expired`` once the code's lifetime is
    /// up, whatever was typed; else verified or wrong.
    public func check(
        _ input: String, storedHash: String, context: String, issuedAt: Date, now: Date,
        lifetime: TimeInterval = VerificationCode.defaultLifetime
    ) -> VerificationCode.Outcome {
        if VerificationCode.isExpired(issuedAt: issuedAt, now: now, lifetime: lifetime) { return .expired }
        return matches(input, storedHash: storedHash, context: context) ? .verified : .wrongCode
    }
}
