import Foundation
import MissiveCore
@testable import MissiveServer
import MissiveStore
import Testing

/// `Idempotency-Key` on envelope submission.
@Suite("Idempotency end to end")
struct IdempotencyTests {
    @Test("the same key and body give the same envelope, marked as replayed")
    func sameRequestIsReplayed() async throws {
        try await withHub { hub in
            let envelope: JSON = ["recipient": try hub.recipient("physical").recipient, "reference": "INV-1"]
            let document = SamplePDF.make(note: "idempotent")
            let first = try await hub.submit(envelope, document: document, idempotencyKey: "order-42")
            #expect(first.status == 202)
            #expect(first.header("Idempotent-Replayed") == nil)
            let second = try await hub.submit(envelope, document: document, idempotencyKey: "order-42")
            #expect(second.status == 202)
            #expect(second.header("Idempotent-Replayed") == "true")
            let firstID = try #require(try first.json()["id"]?.string)
            #expect(try second.json()["id"]?.string == firstID)
            // A usable URI reference, not percent-encoded (the generated server encodes header values).
            #expect(first.header("Location") == "/v1/envelopes/\(firstID)")
            #expect(second.header("Location") == "/v1/envelopes/\(firstID)")

            let listed = try await hub.get("/v1/envelopes?reference=INV-1")["items"]?.array ?? []
            #expect(listed.compactMap { $0["id"]?.string } == [firstID])

            // The replay's copy of the document was stored before the replay was known; the
            // sweep removes it and keeps the first submission's.
            #expect(await hub.hub.blobs.sweepUncommitted(olderThan: .zero) == 1)
            let stored = try await hub.hub.postOffice.envelope(EnvelopeID(rawValue: firstID)!, organisation: OrganisationID(rawValue: hub.organisationID)!)
            #expect(try await hub.hub.blobs.read(stored.documents[0].storageKey).count == document.count)
        }
    }

    @Test("the same key with another body is 422 idempotency_key_reused")
    func otherBodyIsRefused() async throws {
        try await withHub { hub in
            let envelope: JSON = ["recipient": try hub.recipient("physical").recipient]
            let first = try await hub.submit(envelope, document: SamplePDF.make(note: "one"), idempotencyKey: "order-43")
            #expect(first.status == 202)
            let other = try await hub.submit(envelope, document: SamplePDF.make(note: "two"), idempotencyKey: "order-43")
            #expect(other.status == 422)
            #expect(other.mediaType == "application/problem+json")
            let problem = try other.json()
            #expect(problem["code"]?.string == "idempotency_key_reused")
            #expect(problem["status"]?.int == 422)
            #expect(other.header("Idempotent-Replayed") == nil)

            let listed = try await hub.get("/v1/envelopes")["items"]?.array ?? []
            #expect(listed.count == 1)
        }
    }
}
