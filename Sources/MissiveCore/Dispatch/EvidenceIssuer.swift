import Foundation
import Logging

/// Issues the evidence of queued events: builds each record from the envelope as stored,
/// has it sealed, and stores it with the seal; a failure (e.g. the timestamp authority is
/// unreachable) is retried with back-off and never loses the event.
public struct EvidenceIssuer: Sendable {
    let envelopes: any EnvelopeStore
    let mailboxes: any MailboxStore
    let store: any EvidenceStore
    let sealer: any EvidenceSealer
    let issuer: String
    let retry: RetryPolicy
    let clock: any WallClock
    let logger: Logger

    public init(envelopes: any EnvelopeStore, mailboxes: any MailboxStore, store: any EvidenceStore, sealer: any EvidenceSealer, issuer: String, retry: RetryPolicy, clock: any WallClock, logger: Logger) {
        self.envelopes = envelopes
        self.mailboxes = mailboxes
        self.store = store
        self.sealer = sealer
        self.issuer = issuer
        self.retry = retry
        self.clock = clock
        self.logger = logger
    }

    public func issue(_ pending: PendingEvidence) async {
        await issue([pending])
    }

    /// Issues a batch: seals the records side by side, then stores them all in one
    /// transaction; an event whose record cannot be built or sealed is retried on its own.
    public func issue(_ batch: [PendingEvidence]) async {
        let outcomes = await withTaskGroup(of: (PendingEvidence, Result<StoredEvidence?, any Error>).self) { group in
            for pending in batch {
                group.addTask {
                    do { return (pending, .success(try await build(pending))) } catch { return (pending, .failure(error)) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        var sealed: [(evidence: StoredEvidence, pending: PendingEvidence)] = []
        var unneeded: [PendingEvidence] = []
        for (pending, outcome) in outcomes {
            switch outcome {
            case .success(let evidence?): sealed.append((evidence, pending))
            case .success(nil): unneeded.append(pending)
            case .failure(let error): await retry(pending, error)
            }
        }
        try? await store.discardEvidence(unneeded)
        do {
            try await store.storeEvidence(sealed)
        } catch {
            for (_, pending) in sealed { await retry(pending, error) }
        }
    }

    private func retry(_ pending: PendingEvidence, _ error: any Error) async {
        let delay = retry.delay(afterAttempt: pending.attempts + 1) ?? retry.cap
        logger.warning("evidence not issued yet; will retry", metadata: [LogKey.envelopeID: "\(pending.envelopeID)", LogKey.error: "\(PostOffice.describe(error))"])
        try? await store.retryEvidence(pending, at: clock.now().addingTimeInterval(delay), error: PostOffice.describe(error))
    }

    func build(_ pending: PendingEvidence) async throws -> StoredEvidence? {
        guard let record = try await envelopes.record(pending.envelopeID, organisation: pending.organisationID),
              let event = try await envelopes.events(of: pending.envelopeID, organisation: pending.organisationID).first(where: { $0.id == pending.eventID })
        else {
            throw MissiveError(.notFound, "The event of queued evidence is missing.")
        }
        let senderName = try await mailboxes.organisationName(pending.organisationID)
        guard let evidence = EvidenceRecord(for: event, of: record.envelope, senderName: senderName, recipientID: record.directoryEntryID?.rawValue, issuer: issuer) else {
            return nil
        }
        let canonical = evidence.canonicalJSON
        let now = Date()
        let seal = try await sealer.seal(canonical, at: now)
        var documentSeals: [Data] = []
        if evidence.event == .submissionAcceptance {
            for document in evidence.documents {
                guard let digest = [UInt8](hex: document.sha256), digest.count == 32 else {
                    throw MissiveError(.invalidDocument, "A document hash is not SHA-256 hex.")
                }
                documentSeals.append(try await sealer.seal(sha256: digest, at: now))
            }
        }
        return StoredEvidence(record: evidence, canonical: canonical, seal: seal, sealedAt: now, documentSeals: documentSeals)
    }
}
