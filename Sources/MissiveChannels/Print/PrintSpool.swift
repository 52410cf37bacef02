import Foundation

/// The folder a print partner collects jobs from and writes status reports into (by file
/// transfer, e.g. SFTP). Layout under ``root``:
///
/// ```
/// outbox/      <envelopeId>.pdf, <envelopeId>.att1.pdf…, then <envelopeId>.json (job complete)
/// collected/   manifests of the jobs the sandbox partner took (their documents are gone)
/// status/      partner reports <name>.json, processed in name order
///   processed/ reports recorded
///   rejected/  reports that could not be read or name no known envelope
/// ```
///
/// Every file appears atomically: written under a hidden temporary name (`.…tmp`) in the
/// same folder, fsynced, renamed, and the folder fsynced.
public struct PrintSpool: Sendable, Hashable {
    /// The spool's root folder.
    public var root: URL

    /// Creates a spool rooted at `root` (folders are created on first use).
    public init(root: URL) {
        self.root = root
    }

    /// Where print jobs are written for the partner.
    public var outbox: URL { root.appending(path: "outbox", directoryHint: .isDirectory) }
    /// Where collected jobs go.
    public var collected: URL { root.appending(path: "collected", directoryHint: .isDirectory) }
    /// Where the partner writes status reports.
    public var status: URL { root.appending(path: "status", directoryHint: .isDirectory) }
    /// Where recorded status reports go.
    public var processedReports: URL { status.appending(path: "processed", directoryHint: .isDirectory) }
    /// Where unreadable status reports go.
    public var rejectedReports: URL { status.appending(path: "rejected", directoryHint: .isDirectory) }

    /// The main document of a job: `<envelopeId>.pdf`.
    public static func documentFile(job: String) -> String { "\(job).pdf" }
    /// The `index`th attachment (from 1) of a job: `<envelopeId>.att<index>.pdf`.
    public static func attachmentFile(job: String, index: Int) -> String { "\(job).att\(index).pdf" }
    /// The manifest of a job, written last: `<envelopeId>.json`.
    public static func manifestFile(job: String) -> String { "\(job).json" }

    /// Creates the spool's folders if missing.
    public func prepare() throws {
        for folder in [outbox, collected, status, processedReports, rejectedReports] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
    }
}
