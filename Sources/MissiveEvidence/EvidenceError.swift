/// An error raised while producing or parsing evidence (seals, time-stamps, keys).
///
/// Errors compare by ``code``; the ``reason`` is a fixed, content-free phrase and never
/// carries document bytes, key material or names.
public struct EvidenceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure happened.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case malformedStructure
            case unsupportedAlgorithm
            case keyMaterial
            case signingFailed
            case fileSystem
            case timeStampRefused
        }

        fileprivate let base: Base

        /// DER input could not be parsed into the expected ASN.1 structure.
        public static let malformedStructure = Code(base: .malformedStructure)
        /// A digest or signature algorithm is not supported.
        public static let unsupportedAlgorithm = Code(base: .unsupportedAlgorithm)
        /// A key or certificate could not be created, read or matched.
        public static let keyMaterial = Code(base: .keyMaterial)
        /// The signer could not produce a signature.
        public static let signingFailed = Code(base: .signingFailed)
        /// Reading or writing key files failed.
        public static let fileSystem = Code(base: .fileSystem)
        /// A time-stamp authority refused, or answered with a token that does not verify.
        public static let timeStampRefused = Code(base: .timeStampRefused)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// The kind of failure; compare errors by this.
    public var code: Code
    /// A fixed, content-free explanation.
    public var reason: String
    /// The source file that raised the error.
    public var file: String
    /// The source line that raised the error.
    public var line: Int

    /// Creates an error capturing the call site.
    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    /// A generic description: code, reason and call site, never data.
    public var description: String {
        "EvidenceError.\(code): \(reason) (\(file):\(line))"
    }

    /// Errors are equal when their codes are equal.
    public static func == (lhs: EvidenceError, rhs: EvidenceError) -> Bool {
        lhs.code == rhs.code
    }

    /// Hashes the code only, matching ``==``.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }
}
