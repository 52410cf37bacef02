import Foundation
import Logging
import MissiveCore
@testable import MissiveStore
import Testing

/// A sealer that tags what it signs: this suite tests the queue and the store, not the seal
/// (the CAdES seal is tested against openssl in its own module).
private struct TaggingSealer: EvidenceSealer {
    func seal(_ content: Data, at: Date) async throws -> Data { Data("sealed:".utf8) + content.prefix(8) }
    func seal(sha256: [UInt8], at: Date) async throws -> Data { Data("document:".utf8) + sha256.prefix(4) }
}

private struct FailingSealer: EvidenceSealer {
    func seal(_ content: Data, at: Date) async throws -> Data { throw MissiveError(.unavailable, "The timestamp authority is unreachable.") }
    func seal(sha256: [UInt8], at: Date) async throws -> Data { throw MissiveError(.unavailable, "The timestamp authority is unreachable.") }
}

@Suite("SQLiteStore evidence")
struct EvidenceStoreTests {
    let org = OrganisationID.generate()
    let base = StoreFixture.base

    func issuer(_ store: SQLiteStore, sealer: any EvidenceSealer) -> EvidenceIssuer {
        EvidenceIssuer(envelopes: store, mailboxes: store, store: store, sealer: sealer, issuer: "missive.test", retry: RetryPolicy(base: 10, cap: 60, maxAttempts: 5), clock: OffsetWallClock(offset: 0), logger: Logger(label: "test"))
    }

    @Test("legal events are queued with the event; issuing stores the sealed record and empties the queue")
    func queueAndIssue() async throws {
        try await withStore { store in
            let envelope = try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            try await store.apply(EnvelopeChange(envelopeID: envelope.id, events: [StoreFixture.event(.routed, envelope, channel: .physical, at: base)]))
            let claimed = try await store.claimEvidence(limit: 10, now: base.addingTimeInterval(1), leaseDuration: 30)
            #expect(claimed.count == 1)  // accepted; routed needs no evidence
            #expect(try await store.claimEvidence(limit: 10, now: base.addingTimeInterval(1), leaseDuration: 30).isEmpty)  // leased
            await issuer(store, sealer: TaggingSealer()).issue(claimed[0])
            let stored = try await store.evidence(of: envelope.id, organisation: org)
            #expect(stored.count == 1)
            let evidence = try #require(stored.first)
            #expect(evidence.record.event == .submissionAcceptance)
            #expect(evidence.record.envelopeId == envelope.id)
            #expect(evidence.canonical == evidence.record.canonicalJSON)
            // Acceptance also seals every document, by its hash, in the record's order.
            #expect(evidence.documentSeals.count == evidence.record.documents.count)
            #expect(evidence.documentSeals.first?.starts(with: Data("document:".utf8)) == true)
            #expect(evidence.seal.starts(with: Data("sealed:".utf8)))
            #expect(try await store.evidence(evidence.record.evidenceId, organisation: org) == evidence)
            #expect(try await store.claimEvidence(limit: 10, now: base.addingTimeInterval(3600), leaseDuration: 30).isEmpty)
            // Tenancy: another organisation sees nothing.
            let other = OrganisationID.generate()
            #expect(try await store.evidence(of: envelope.id, organisation: other).isEmpty)
            #expect(try await store.evidence(evidence.record.evidenceId, organisation: other) == nil)
        }
    }

    @Test("a failing seal keeps the event queued and retries later")
    func retries() async throws {
        try await withStore { store in
            let envelope = try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            let claimed = try await store.claimEvidence(limit: 10, now: base.addingTimeInterval(1), leaseDuration: 30)
            await issuer(store, sealer: FailingSealer()).issue(try #require(claimed.first))
            #expect(try await store.evidence(of: envelope.id, organisation: org).isEmpty)
            let due = try #require(try await store.nextEvidenceDue())
            #expect(due > Date())
            let again = try await store.claimEvidence(limit: 10, now: due, leaseDuration: 30)
            #expect(again.map(\.eventID) == claimed.map(\.eventID))
            #expect(again.first?.attempts == 1)
        }
    }

    @Test("a submission rejected for malware is kept as rejected, with no job and with SubmissionRejection evidence queued")
    func rejectedSubmission() async throws {
        try await withStore { store in
            var envelope = StoreFixture.envelope(organisation: org, ingressReference: nil, ingress: .smtp, at: base, kind: .letter, reference: nil)
            let reason = Reason(code: "virus", text: "Document 1 contains malware (Eicar-Signature).")
            envelope.status = .rejected
            envelope.statusReason = reason
            let event = StoreFixture.event(.rejected, envelope, at: base, reason: reason)
            let result = try await store.accept(Submission(envelope: envelope, acceptedEvent: event, requestHash: "h", ingressResponse: nil, routeAt: base))
            guard case .accepted = result else { Issue.record("expected a new envelope"); return }
            let record = try #require(try await store.record(envelope.id, organisation: org))
            #expect(record.envelope.status == .rejected)
            #expect(record.envelope.statusReason?.code == "virus")
            #expect(try await store.claimJobs(limit: 10, now: base.addingTimeInterval(3600), leaseDuration: 30).isEmpty)
            let claimed = try await store.claimEvidence(limit: 10, now: base.addingTimeInterval(1), leaseDuration: 30)
            #expect(claimed.map(\.eventID) == [event.id])
            await issuer(store, sealer: TaggingSealer()).issue(try #require(claimed.first))
            let evidence = try #require(try await store.evidence(of: envelope.id, organisation: org).first)
            #expect(evidence.record.event == .submissionRejection)
            #expect(evidence.record.reason?.code == "virus")
            #expect(evidence.documentSeals.isEmpty)
        }
    }
}
