import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238): HOTP (RFC 4226) over the number of periods
/// since the Unix epoch. The second step of a person's login; the secret is shared once
/// with an authenticator app through ``provisioningURI(issuer:account:)``.
///
/// ``verify(code:at:lastUsedStep:)`` returns the time step a code matched; the caller
/// stores it and passes it back next time, so a code, once used, is refused — as is any
/// code of the same or an earlier step.
public struct TOTP: Sendable, Hashable {
    /// The HMAC hash function.
    public enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case sha1 = "SHA1"
        case sha256 = "SHA256"
        case sha512 = "SHA512"
    }

    /// How many steps before and after the current one a code may belong to, for clock
    /// drift and typing time (RFC 6238 §5.2 recommends one).
    public static let allowedDrift = 1

    /// Length of secrets ``generateSecret()`` makes: 160 bits, the size of SHA-1's output
    /// (RFC 4226 §4).
    public static let secretByteCount = 20

    public let secret: [UInt8]
    public let algorithm: Algorithm
    /// Digits of a code, 6 to 8.
    public let digits: Int
    /// Seconds per step.
    public let period: Int

    /// Fewest bytes a secret may have: 128 bits (RFC 4226 §4, R6).
    public static let minimumSecretByteCount = 16

    /// Throws `MissiveError(.invalidField)` for a secret shorter than
    /// ``minimumSecretByteCount`` (or over 1024 bytes), digits other than 6 to 8, or a
    /// period outside 1 to 300 seconds, so a damaged stored secret is an error, not a crash.
    public init(secret: [UInt8], algorithm: Algorithm = .sha1, digits: Int = 6, period: Int = 30) throws {
        guard (Self.minimumSecretByteCount...1024).contains(secret.count) else {
            throw MissiveError(.invalidField, "A TOTP secret must have 16 to 1024 bytes.")
        }
        guard (6...8).contains(digits), (1...300).contains(period) else {
            throw MissiveError(.invalidField, "TOTP codes have 6 to 8 digits and a period of 1 to 300 seconds.")
        }
        self.secret = secret
        self.algorithm = algorithm
        self.digits = digits
        self.period = period
    }

    /// A new random secret of ``secretByteCount`` bytes.
    public static func generateSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<secretByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The step `date` falls in: whole periods since the Unix epoch. Times before the epoch
    /// (and non-finite ones) count as step 0.
    public func step(at date: Date) -> Int {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int(min((seconds / Double(period)).rounded(.down), Double(1 << 52)))
    }

    /// The code for `date`.
    public func generate(at date: Date) -> String {
        code(forStep: step(at: date))
    }

    /// The code of one step, zero-padded to ``digits`` (RFC 4226 §5.3 dynamic truncation).
    public func code(forStep step: Int) -> String {
        let counter = withUnsafeBytes(of: UInt64(clamping: step).bigEndian) { Array($0) }
        let mac = authenticationCode(for: counter)
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// The step `code` belongs to, when it is the code of the step of `date` or one
    /// ``allowedDrift`` step either side and that step is later than `lastUsedStep`; nil
    /// otherwise (wrong, replayed, too old, or not ``digits`` digits). Spaces in the code
    /// are ignored. Store the returned step as the next `lastUsedStep`.
    public func verify(code: String, at date: Date, lastUsedStep: Int?) -> Int? {
        guard code.utf8.count <= 32 else { return nil }
        let typed = Array(code.utf8.filter { $0 != UInt8(ascii: " ") })
        guard typed.count == digits, typed.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        let now = step(at: date)
        var matched: Int?
        for candidate in (now - Self.allowedDrift)...(now + Self.allowedDrift) where candidate >= 0 {
            let isMatch = ConstantTime.equals(typed, Array(self.code(forStep: candidate).utf8))
            if isMatch, matched == nil, candidate > (lastUsedStep ?? -1) {
                matched = candidate
            }
        }
        return matched
    }

    private func authenticationCode(for counter: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: secret)
        switch algorithm {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: counter, using: key))
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: counter, using: key))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: counter, using: key))
        }
    }
}
