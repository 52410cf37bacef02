import Foundation
import Logging
import MissiveCore
import ServiceLifecycle

/// Reads the print partner's status reports from the spool's `status/` folder and records
/// them (`printed`, `posted`, `returned`) on the physical channel.
///
/// Every ``interval`` it takes the visible `*.json` files in name order (the partner names
/// them in time order) and, for each:
/// - a readable ``PartnerStatusReport`` is recorded, then moved to `status/processed/`;
/// - an unreadable one, or one naming no known envelope, is moved to `status/rejected/`;
/// - if recording fails otherwise (store busy), the file stays and this poll stops, so later
///   reports are never recorded before earlier ones.
///
/// Recording the same report twice is harmless: the lifecycle ignores a repeated status.
public struct PrintPartnerReports: Service {
    /// The largest status file read.
    static let fileLimit = 64 * 1024

    private let spool: PrintSpool
    private let sink: any ChannelReportSink
    private let interval: Duration
    private let logger: Logger

    /// Creates the service.
    /// - Parameters:
    ///   - spool: The spool shared with the print partner.
    ///   - sink: Where reports are recorded (the ``PostOffice``).
    ///   - interval: The pause between polls; 1 second by default.
    ///   - logger: Logs file names and envelope ids only.
    public init(spool: PrintSpool, sink: any ChannelReportSink, interval: Duration = .seconds(1), logger: Logger = Logger(label: "missive.channels.print.reports")) {
        self.spool = spool
        self.sink = sink
        self.interval = interval
        self.logger = logger
    }

    /// Polls until graceful shutdown (or cancellation).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await poll()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Processes the reports present now; returns how many were recorded.
    @discardableResult
    public func poll() async -> Int {
        do {
            try spool.prepare()
        } catch {
            logger.error("print spool status folders unavailable", metadata: [LogKey.error: "\(type(of: error))"])
            return 0
        }
        var recorded = 0
        for file in SpoolFile.jsonFiles(in: spool.status) {
            guard !Task.isCancelled else { break }
            guard let report = read(file) else { continue }
            do {
                var detail = report.detail ?? [:]
                detail["reportedAt"] = ChannelJSON.rfc3339(report.at)
                try await sink.recordReport(report.status.eventType, envelope: report.envelopeId, channel: .physical, reason: report.reason, detail: detail)
                recorded += 1
                settle(file, into: spool.processedReports)
            } catch let error as MissiveError where error.code == .notFound {
                logger.warning("print partner report for an unknown envelope", metadata: [LogKey.spoolFile: "\(file.lastPathComponent)", LogKey.envelopeID: "\(report.envelopeId)"])
                settle(file, into: spool.rejectedReports)
            } catch {
                logger.notice("print partner report not recorded; retrying next poll", metadata: [LogKey.spoolFile: "\(file.lastPathComponent)", LogKey.error: "\(ErrorSummary.of(error))"])
                break
            }
        }
        return recorded
    }

    /// The report in `file`, or `nil` after moving an unreadable file to `rejected/`.
    private func read(_ file: URL) -> PartnerStatusReport? {
        do {
            let data = try SpoolFile.read(file, limit: Self.fileLimit)
            return try ChannelJSON.decoder().decode(PartnerStatusReport.self, from: data)
        } catch {
            logger.warning("malformed print partner report rejected", metadata: [LogKey.spoolFile: "\(file.lastPathComponent)"])
            settle(file, into: spool.rejectedReports)
            return nil
        }
    }

    private func settle(_ file: URL, into folder: URL) {
        do {
            try SpoolFile.move(file, into: folder)
        } catch {
            logger.error("print partner report could not be moved", metadata: [LogKey.spoolFile: "\(file.lastPathComponent)", LogKey.error: "\(ErrorSummary.of(error))"])
        }
    }
}
