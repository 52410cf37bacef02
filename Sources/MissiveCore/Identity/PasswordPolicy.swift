import Foundation

/// What a person's password must be: 12 to 1024 bytes of UTF-8 once brought to Unicode
/// NFC, so that the same password typed on two keyboards (a precomposed `é` or `e` plus a
/// combining accent) hashes the same. Nothing else is imposed (NIST SP 800-63B §5.1.1.2):
/// length is what makes a password strong, and every character is allowed.
public struct PasswordPolicy: Sendable, Hashable {
    /// Fewest UTF-8 bytes, after NFC.
    public var minimumBytes: Int
    /// Most UTF-8 bytes, after NFC; bounds the work one login attempt can cause.
    public var maximumBytes: Int

    public init(minimumBytes: Int = 12, maximumBytes: Int = 1024) {
        precondition(minimumBytes >= 1 && minimumBytes <= maximumBytes, "A password policy needs 1 ≤ minimum ≤ maximum.")
        self.minimumBytes = minimumBytes
        self.maximumBytes = maximumBytes
    }

    /// The password in NFC, or a `MissiveError(.invalidField)` saying which bound it misses.
    /// The error never holds the password.
    public func normalised(_ password: String) throws -> String {
        guard let nfc = Self.nfc(password, maximumBytes: maximumBytes) else {
            throw MissiveError(.invalidField, "A password must be at most \(maximumBytes) bytes long (UTF-8).", pointer: "/password")
        }
        guard nfc.utf8.count >= minimumBytes else {
            throw MissiveError(.invalidField, "A password must be at least \(minimumBytes) bytes long (UTF-8).", pointer: "/password")
        }
        return nfc
    }

    /// The password in NFC when it has 1 to `maximumBytes` bytes, else nil. Checking a
    /// password against a stored hash ignores the minimum, so a later, stricter policy
    /// does not lock anyone out.
    static func nfc(_ password: String, maximumBytes: Int) -> String? {
        // NFC never makes a string more than three times longer: refuse huge input before
        // normalising it.
        guard !password.isEmpty, password.utf8.count / 3 <= maximumBytes else { return nil }
        let nfc = password.precomposedStringWithCanonicalMapping
        return (1...maximumBytes).contains(nfc.utf8.count) ? nfc : nil
    }
}
