import Foundation
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore group commit")
struct GroupCommitTests {
    let org = OrganisationID.generate()

    /// What one concurrent `accept` came to, reduced to something `Sendable` and comparable.
    enum Outcome: Sendable, Hashable {
        case accepted(EnvelopeID)
        case replayed(EnvelopeID, Data?)
        case failed(MissiveError.Code?)
    }

    static func outcome(of submission: Submission, in store: SQLiteStore) async -> Outcome {
        do {
            switch try await store.accept(submission) {
            case .accepted(let envelope): return .accepted(envelope.id)
            case .replayed(let envelope, let response): return .replayed(envelope.id, response)
            }
        } catch let error as MissiveError {
            return .failed(error.code)
        } catch {
            return .failed(nil)
        }
    }

    @Test("300 concurrent submissions are all accepted and readable")
    func concurrentAccepts() async throws {
        try await withStore { store in
            let submissions = (0..<300).map { i in
                StoreFixture.submission(organisation: org, ingressReference: "key-\(i)", requestHash: "h-\(i)", at: StoreFixture.base.addingTimeInterval(Double(i)))
            }
            let outcomes = await withTaskGroup(of: (Int, Outcome).self) { group in
                for (index, submission) in submissions.enumerated() {
                    group.addTask { (index, await Self.outcome(of: submission, in: store)) }
                }
                var outcomes: [Int: Outcome] = [:]
                for await (index, outcome) in group { outcomes[index] = outcome }
                return outcomes
            }
            for (index, submission) in submissions.enumerated() {
                #expect(outcomes[index] == .accepted(submission.envelope.id))
                let record = try await store.record(submission.envelope.id, organisation: org)
                #expect(record?.envelope == submission.envelope)
            }
            #expect(try await store.envelopes(of: org, filter: EnvelopeFilter(), after: nil, limit: 1000).count == 300)
            let feed = try await store.feed(of: org, after: nil, type: nil, limit: 1000)
            #expect(Set(feed.map(\.id)) == Set(submissions.map(\.acceptedEvent.id)))
            #expect(try await store.pendingJobCount() == 300)
        }
    }

    @Test("failing submissions in a concurrent burst do not affect the others")
    func mixedBurst() async throws {
        try await withStore { store in
            var seeded: [EnvelopeID] = []
            for i in 0..<100 {
                let submission = StoreFixture.submission(organisation: org, ingressReference: "key-\(i)", requestHash: "a", response: Data("r\(i)".utf8))
                seeded.append(try await acceptNew(submission, in: store).id)
            }
            let mismatches = (0..<100).map { StoreFixture.submission(organisation: org, ingressReference: "key-\($0)", requestHash: "b") }
            let replays = (0..<100).map { StoreFixture.submission(organisation: org, ingressReference: "key-\($0)", requestHash: "a") }
            let fresh = (0..<100).map { StoreFixture.submission(organisation: org, ingressReference: "new-\($0)", requestHash: "c") }
            // The same envelope twice without a reference: exactly one insert can win.
            let duplicate = StoreFixture.submission(organisation: org, requestHash: "d")
            let all = mismatches + replays + fresh + [duplicate, duplicate]
            let outcomes = await withTaskGroup(of: (Int, Outcome).self) { group in
                for (index, submission) in all.enumerated().shuffled() {
                    group.addTask { (index, await Self.outcome(of: submission, in: store)) }
                }
                var outcomes: [Int: Outcome] = [:]
                for await (index, outcome) in group { outcomes[index] = outcome }
                return outcomes
            }
            for i in 0..<100 {
                #expect(outcomes[i] == .failed(.idempotencyMismatch))
                #expect(outcomes[100 + i] == .replayed(seeded[i], Data("r\(i)".utf8)))
                #expect(outcomes[200 + i] == .accepted(fresh[i].envelope.id))
                #expect(try await store.record(fresh[i].envelope.id, organisation: org)?.envelope.status == .accepted)
                #expect(try await store.record(mismatches[i].envelope.id, organisation: nil) == nil)
            }
            let pair = [outcomes[300], outcomes[301]]
            #expect(pair.filter { $0 == .accepted(duplicate.envelope.id) }.count == 1)
            #expect(pair.contains { if case .failed = $0 { true } else { false } })
            #expect(try await store.envelopes(of: org, filter: EnvelopeFilter(), after: nil, limit: 1000).count == 201)
            #expect(try await store.feed(of: org, after: nil, type: nil, limit: 1000).count == 201)
            #expect(try await store.pendingJobCount() == 201)
        }
    }
}
