import Crypto
import CryptoExtras
import Foundation

/// Slow, salted hashing of people's passwords with scrypt (RFC 7914), stored as a
/// self-describing PHC string: `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (salt and hash in
/// base64 without padding). The string carries its parameters, so hashes made with older,
/// cheaper parameters still verify, and ``needsRehash(_:)`` says when to replace them at
/// the next successful login.
///
/// The defaults are N = 2^15, r = 8, p = 1: 32 MiB of memory per hash. OWASP's password
/// storage cheat sheet now suggests N = 2^17 (`Parameters(logN: 17)`, 128 MiB); raising the
/// parameters later is safe, since ``needsRehash(_:)`` upgrades old hashes at login. Tests
/// pass cheaper ``Parameters``.
public struct PasswordHasher: Sendable {
    /// scrypt's cost parameters and the sizes of salt and hash.
    public struct Parameters: Sendable, Hashable {
        /// log2 of scrypt's N, the CPU and memory cost.
        public var logN: Int
        /// scrypt's r, the block size.
        public var blockSize: Int
        /// scrypt's p, the parallelism.
        public var parallelism: Int
        /// Length of the derived hash in bytes.
        public var outputByteCount: Int
        /// Length of the random salt in bytes.
        public var saltByteCount: Int

        public init(logN: Int = 15, blockSize: Int = 8, parallelism: Int = 1, outputByteCount: Int = 32, saltByteCount: Int = 16) {
            self.logN = logN
            self.blockSize = blockSize
            self.parallelism = parallelism
            self.outputByteCount = outputByteCount
            self.saltByteCount = saltByteCount
        }

        /// N = 2^15, r = 8, p = 1, a 32-byte hash and a 16-byte salt.
        public static let `default` = Parameters()

        /// Whether these parameters are within the bounds Missive will compute: at most
        /// 1 GiB of scrypt work (128·N·r·p bytes), salts of 1 to 64 bytes and hashes of 16
        /// to 64. A stored string beyond them verifies false rather than exhausting memory.
        public var isWithinLimits: Bool {
            guard (1...20).contains(logN), (1...32).contains(blockSize), (1...16).contains(parallelism),
                  (16...64).contains(outputByteCount), (1...64).contains(saltByteCount)
            else { return false }
            return 128 * (1 << logN) * blockSize * parallelism <= 1 << 30
        }

        /// Whether any of these parameters is weaker than the same one in `other`.
        func isWeaker(than other: Parameters) -> Bool {
            logN < other.logN || blockSize < other.blockSize || parallelism < other.parallelism
                || outputByteCount < other.outputByteCount || saltByteCount < other.saltByteCount
        }
    }

    /// The parameters new hashes are made with.
    public let parameters: Parameters
    /// What a new password must be.
    public let policy: PasswordPolicy

    public init(parameters: Parameters = .default, policy: PasswordPolicy = PasswordPolicy()) {
        precondition(parameters.isWithinLimits, "scrypt parameters out of bounds.")
        self.parameters = parameters
        self.policy = policy
    }

    /// The PHC string for `password` with a fresh random salt. Throws
    /// `MissiveError(.invalidField)` when the password breaks the ``policy``.
    public func hash(_ password: String) throws -> String {
        let normalised = try policy.normalised(password)
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<parameters.saltByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        guard let derived = Self.derive(normalised, salt: salt, parameters: parameters) else {
            throw MissiveError(.unavailable, "A password could not be hashed.")
        }
        return ScryptPHCString(parameters: parameters, salt: salt, hash: derived).encoded
    }

    /// Whether `password` is the one `stored` was made from. A malformed stored string, an
    /// unknown algorithm or parameters beyond ``Parameters/isWithinLimits`` verify false.
    /// The hashes are compared in constant time.
    public func verify(_ password: String, against stored: String) -> Bool {
        guard let phc = ScryptPHCString(stored),
              let normalised = PasswordPolicy.nfc(password, maximumBytes: policy.maximumBytes),
              let derived = Self.derive(normalised, salt: phc.salt, parameters: phc.parameters)
        else { return false }
        return ConstantTime.equals(derived, phc.hash)
    }

    /// Spends the time of a ``verify(_:against:)`` with the current parameters and returns
    /// nothing: call it when the login names no known person, so the answer's timing does
    /// not tell which accounts exist.
    public func dummyVerify(_ password: String) {
        let normalised = PasswordPolicy.nfc(password, maximumBytes: policy.maximumBytes) ?? "missive"
        let salt = [UInt8](repeating: 0, count: parameters.saltByteCount)
        let derived = Self.derive(normalised, salt: salt, parameters: parameters) ?? []
        _ = ConstantTime.equals(derived, [UInt8](repeating: 0, count: parameters.outputByteCount))
    }

    /// Whether `stored` should be replaced by a new hash of the same password (at the next
    /// successful login): when any of its parameters is weaker than ``parameters``, or when
    /// it is not a scrypt PHC string Missive can read.
    public func needsRehash(_ stored: String) -> Bool {
        guard let phc = ScryptPHCString(stored) else { return true }
        return phc.parameters.isWeaker(than: parameters)
    }

    /// scrypt, or nil when the parameters are refused.
    static func derive(_ password: String, salt: [UInt8], parameters: Parameters) -> [UInt8]? {
        guard !salt.isEmpty, !password.isEmpty,
              let key = try? KDF.Scrypt.deriveKey(
                  from: Array(password.utf8), salt: salt, outputByteCount: parameters.outputByteCount,
                  rounds: 1 << parameters.logN, blockSize: parameters.blockSize, parallelism: parameters.parallelism)
        else { return nil }
        return key.withUnsafeBytes { Array($0) }
    }
}
