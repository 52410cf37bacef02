import Foundation
import Logging
import MissiveCore

/// The physical channel: writes a print job into the ``PrintSpool`` that the print partner
/// collects, and returns ``DeliveryOutcome/handedOver(detail:)``; the partner's reports
/// (``PrintPartnerReports``) record `printed`, `posted` and `returned` later.
///
/// A job is `<envelopeId>.pdf`, `<envelopeId>.att1.pdf`…, then the manifest
/// `<envelopeId>.json` last (its presence means the job is complete); each file appears
/// atomically and durably. Dispatching the same envelope again rewrites identical files, and
/// writes nothing if the partner already collected the job.
///
/// Refusals: `no_postal_address` (neither the envelope nor the directory has one),
/// `no_document`.
public struct PrintSpoolChannel: DeliveryChannel {
    private let spool: PrintSpool
    private let blobs: any BlobStore
    private let logger: Logger

    /// Creates the channel.
    /// - Parameters:
    ///   - spool: The spool folder shared with the print partner.
    ///   - blobs: Where the documents are read from (decrypted, as stored bytes may not be).
    ///   - logger: Logs envelope ids only.
    public init(spool: PrintSpool, blobs: any BlobStore, logger: Logger = Logger(label: "missive.channels.print")) {
        self.spool = spool
        self.blobs = blobs
        self.logger = logger
    }

    /// Writes the envelope's print job into the spool.
    public func deliver(_ envelope: Envelope, entry: DirectoryEntry?) async throws -> DeliveryOutcome {
        guard let address = envelope.recipient.postal ?? entry?.postal else {
            return .refused(Reason(code: "no_postal_address", text: "No postal address is known for the recipient."))
        }
        guard let main = envelope.mainDocument else {
            return .refused(Reason(code: "no_document", text: "The envelope has no main document."))
        }
        let job = envelope.id.rawValue
        let handedOver = DeliveryOutcome.handedOver(detail: ["printJob": job])
        let collectedManifest = spool.collected.appending(path: PrintSpool.manifestFile(job: job))
        if FileManager.default.fileExists(atPath: collectedManifest.path(percentEncoded: false)) {
            logger.notice("print job already collected; not written again", metadata: [LogKey.envelopeID: "\(envelope.id)"])
            return handedOver
        }
        try prepareSpool()
        let files = [main] + envelope.documents.filter { $0.role == .attachment }
        var documents: [PrintManifest.Document] = []
        for (index, document) in files.enumerated() {
            let name = index == 0 ? PrintSpool.documentFile(job: job) : PrintSpool.attachmentFile(job: job, index: index)
            let bytes = try await blobs.read(document.storageKey)
            guard Int64(bytes.count) == document.byteSize else {
                throw MissiveError(.channelUnavailable, "A stored document does not have its recorded size.")
            }
            try SpoolFile.writeAtomically(bytes, to: spool.outbox.appending(path: name))
            documents.append(PrintManifest.Document(file: name, sha256: document.sha256, pages: document.pageCount))
        }
        try SpoolFile.syncDirectory(spool.outbox)
        let manifest = PrintManifest(
            jobId: job, envelopeId: envelope.id, organisationId: envelope.organisationID, createdAt: envelope.createdAt,
            mailClass: envelope.print.mailClass, color: envelope.print.color, duplex: envelope.print.duplex,
            addressPlacement: envelope.print.addressPlacement, address: address, documents: documents
        )
        try SpoolFile.writeAtomically(try ChannelJSON.encoder().encode(manifest), to: spool.outbox.appending(path: PrintSpool.manifestFile(job: job)))
        try SpoolFile.syncDirectory(spool.outbox)
        logger.info("print job spooled", metadata: [LogKey.envelopeID: "\(envelope.id)", LogKey.printFiles: "\(documents.count)"])
        return handedOver
    }

    private func prepareSpool() throws {
        do {
            try spool.prepare()
        } catch {
            throw MissiveError(.channelUnavailable, "The print spool folders could not be created.")
        }
    }
}
