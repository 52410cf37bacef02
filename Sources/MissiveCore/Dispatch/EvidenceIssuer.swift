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
        do {
            guard let stored = try await build(pending) else {
                try await store.discardEvidence(pending)
                return
            }
            try await store.storeEvidence(stored, for: pending)
        } catch {
            let delay = retry.delay(afterAttempt: pending.attempts + 1) ?? retry.cap
            logger.warning("evidence not issued yet; will retry", metadata: [LogKey.envelopeID: "\(pending.envelopeID)", LogKey.error: "\(PostOffice.describe(error))"])
            try? await store.retryEvidence(pending, at: clock.now().addingTimeInterval(delay), error: PostOffice.describe(error))
        }
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
        return StoredEvidence(record: evidence, canonical: canonical, seal: seal, sealedAt: now)
    }
}
