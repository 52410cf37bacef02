import Foundation
import Logging
import MissiveCore
import ServiceLifecycle
import Synchronization

/// The built-in print partner for `--sandbox` and test traffic: collects jobs from the
/// spool's outbox and reports them `printed` and `posted` at once, like a partner would
/// over days.
///
/// A job whose address's street contains "Nirgendweg" (the sandbox's returned-letter
/// recipient) is also reported `returned` (`addressee_unknown`). Reports are written into
/// `status/` atomically, named `<timestamp-ns>-<envelopeId>-<status>.json` so they sort in
/// order. Then, like a partner collecting over SFTP, it takes the job's documents away (they
/// are removed: no plaintext document stays in the data folder) and moves the manifest to
/// `collected/`, the record that the job was taken. A manifest that cannot be read moves to
/// `collected/rejected/`.
public final class SandboxPrintPartner: Service, Sendable {
    private let spool: PrintSpool
    private let interval: Duration
    private let clock: any WallClock
    private let logger: Logger
    /// The last timestamp used in a report's file name (strictly increasing).
    private let lastStamp = Mutex<UInt64>(0)

    /// Creates the sandbox partner.
    /// - Parameters:
    ///   - spool: The spool to collect from and report into.
    ///   - interval: The pause between polls; 0.5 seconds by default.
    ///   - clock: The time written into reports (the sandbox's movable clock).
    ///   - logger: Logs envelope ids only.
    public init(spool: PrintSpool, interval: Duration = .milliseconds(500), clock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "missive.sandbox.print")) {
        self.spool = spool
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// Polls until graceful shutdown (or cancellation).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                self.poll()
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// Collects the jobs complete now; returns how many were collected.
    @discardableResult
    public func poll() -> Int {
        do {
            try spool.prepare()
        } catch {
            logger.error("print spool folders unavailable", metadata: [LogKey.error: "\(type(of: error))"])
            return 0
        }
        var collected = 0
        for manifestFile in SpoolFile.jsonFiles(in: spool.outbox) {
            do {
                guard let manifest = readManifest(manifestFile) else {
                    logger.warning("unreadable print job rejected", metadata: [LogKey.spoolFile: "\(manifestFile.lastPathComponent)"])
                    try FileManager.default.createDirectory(at: rejectedJobs, withIntermediateDirectories: true)
                    try SpoolFile.move(manifestFile, into: rejectedJobs)
                    continue
                }
                try report(manifest)
                for document in manifest.documents {
                    try SpoolFile.remove(spool.outbox.appending(path: document.file))
                }
                try SpoolFile.move(manifestFile, into: spool.collected)
                collected += 1
            } catch {
                logger.error("print job not collected", metadata: [LogKey.spoolFile: "\(manifestFile.lastPathComponent)", LogKey.error: "\(ErrorSummary.of(error))"])
            }
        }
        return collected
    }

    /// Where unreadable manifests are set aside.
    private var rejectedJobs: URL { spool.collected.appending(path: "rejected", directoryHint: .isDirectory) }

    /// The manifest, if readable and all its documents are present.
    private func readManifest(_ file: URL) -> PrintManifest? {
        guard let data = try? SpoolFile.read(file, limit: 1024 * 1024),
              let manifest = try? ChannelJSON.decoder().decode(PrintManifest.self, from: data),
              !manifest.documents.isEmpty
        else { return nil }
        for document in manifest.documents {
            guard SpoolFile.isPlainName(document.file),
                  FileManager.default.fileExists(atPath: spool.outbox.appending(path: document.file).path(percentEncoded: false))
            else { return nil }
        }
        return manifest
    }

    /// Writes the job's status reports: printed, posted, and returned for "Nirgendweg".
    private func report(_ manifest: PrintManifest) throws {
        let detail = ["printJob": manifest.jobId, "partner": "sandbox"]
        var reports: [PartnerStatusReport] = [
            PartnerStatusReport(envelopeId: manifest.envelopeId, status: .printed, at: clock.now(), detail: detail),
            PartnerStatusReport(envelopeId: manifest.envelopeId, status: .posted, at: clock.now(), detail: detail),
        ]
        if manifest.address.street.range(of: "Nirgendweg", options: .caseInsensitive) != nil {
            let reason = Reason(code: "addressee_unknown", text: "Addressee unknown at this address")
            reports.append(PartnerStatusReport(envelopeId: manifest.envelopeId, status: .returned, at: clock.now(), reason: reason, detail: detail))
        }
        let encoder = ChannelJSON.encoder()
        for report in reports {
            let name = "\(Self.padded(nextStamp()))-\(report.envelopeId.rawValue)-\(report.status.rawValue).json"
            try SpoolFile.writeAtomically(try encoder.encode(report), to: spool.status.appending(path: name))
        }
        try SpoolFile.syncDirectory(spool.status)
        logger.info("sandbox print job reported", metadata: [LogKey.envelopeID: "\(manifest.envelopeId)", LogKey.partnerStatus: "\(reports.map(\.status.rawValue))"])
    }

    /// The clock in nanoseconds, made strictly increasing across reports.
    private func nextStamp() -> UInt64 {
        let now = UInt64(max(0, clock.now().timeIntervalSince1970 * 1_000_000_000))
        return lastStamp.withLock { last in
            last = max(last + 1, now)
            return last
        }
    }

    /// Zero-padded to 20 digits so names sort numerically.
    static func padded(_ value: UInt64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }
}
