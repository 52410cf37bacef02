/// Scans documents for malware when they arrive (DESIGN §9), before anything is accepted.
public protocol VirusScanner: Sendable {
    /// The verdict for a stored blob. Throws `unavailable` when the scanner cannot be asked:
    /// the submission is then refused with a retryable error, never accepted unscanned.
    func scan(_ storageKey: String) async throws -> ScanVerdict
}

/// What a scanner found.
public enum ScanVerdict: Sendable, Equatable {
    case clean
    /// The scanner's signature name (e.g. `Win.Test.EICAR_HDB-1`).
    case infected(signature: String)
}
