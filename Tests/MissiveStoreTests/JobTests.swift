import Foundation
import GRDB
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore jobs")
struct JobTests {
    let org = OrganisationID.generate()
    let base = StoreFixture.base

    func at(_ seconds: Double) -> Date { base.addingTimeInterval(seconds) }

    @Test("claim takes only due jobs, earliest first, up to the limit")
    func claimDueJobs() async throws {
        try await withStore { store in
            let late = try await acceptNew(StoreFixture.submission(organisation: org, routeAt: at(30)), in: store)
            let early = try await acceptNew(StoreFixture.submission(organisation: org, routeAt: at(10)), in: store)
            let middle = try await acceptNew(StoreFixture.submission(organisation: org, routeAt: at(20)), in: store)
            #expect(try await store.claimJobs(limit: 10, now: at(9), leaseDuration: 60).isEmpty)
            let first = try await store.claimJobs(limit: 2, now: at(30), leaseDuration: 60)
            #expect(Set(first.map(\.envelopeID)) == [early.id, middle.id])
            #expect(Set(first.map(\.lease)).count == 1)
            let rest = try await store.claimJobs(limit: 2, now: at(30), leaseDuration: 60)
            #expect(rest.map(\.envelopeID) == [late.id])
            #expect(rest.first?.lease != first.first?.lease)
        }
    }

    @Test("a claimed job is not claimed again until its lease expires")
    func leaseExpiry() async throws {
        try await withStore { store in
            let envelope = try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            // Leases are real time; 5 s keeps this stable on a loaded machine (a build beside
            // the tests stalled them for over 0.5 s).
            let claimed = try await store.claimJobs(limit: 10, now: at(0), leaseDuration: 5)
            #expect(claimed.map(\.envelopeID) == [envelope.id])
            #expect(try await store.claimJobs(limit: 10, now: at(0), leaseDuration: 5).isEmpty)
            #expect(try await store.nextJobDue() == nil)
            try await Task.sleep(for: .milliseconds(5_500))
            #expect(try await store.nextJobDue() == at(0))
            let reclaimed = try await store.claimJobs(limit: 10, now: at(0), leaseDuration: 60)
            #expect(reclaimed.map(\.id) == claimed.map(\.id))
            #expect(reclaimed.first?.lease != claimed.first?.lease)

            // The first claimant lost its lease: completing with it does nothing.
            try await store.complete(try #require(claimed.first))
            #expect(try await store.pendingJobCount() == 1)
            try await store.complete(try #require(reclaimed.first))
            #expect(try await store.pendingJobCount() == 0)
        }
    }

    @Test("retry counts the attempt, keeps a bounded error and reschedules")
    func retry() async throws {
        try await withStore { store in
            try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            let job = try #require(try await store.claimJobs(limit: 1, now: at(0), leaseDuration: 60).first)
            #expect(job.attempts == 0)
            try await store.retry(job, at: at(50), error: String(repeating: "x", count: 2000))
            let lastError = try await store.database.pool.read { db in try String.fetchOne(db, sql: "SELECT last_error FROM jobs WHERE id = ?", arguments: [job.id]) }
            #expect(lastError?.count == 500)
            #expect(try await store.claimJobs(limit: 10, now: at(49), leaseDuration: 60).isEmpty)
            let again = try #require(try await store.claimJobs(limit: 10, now: at(50), leaseDuration: 60).first)
            #expect(again.id == job.id)
            #expect(again.attempts == 1)
            #expect(again.runAt == at(50))

            // A retry under a lost lease changes nothing.
            try await store.retry(job, at: at(500), error: "stale")
            try await store.retry(again, at: at(60), error: "again")
            let third = try #require(try await store.claimJobs(limit: 10, now: at(60), leaseDuration: 60).first)
            #expect(third.attempts == 2)
            #expect(third.runAt == at(60))
        }
    }

    @Test("complete deletes the job")
    func complete() async throws {
        try await withStore { store in
            try await acceptNew(StoreFixture.submission(organisation: org), in: store)
            let job = try #require(try await store.claimJobs(limit: 1, now: at(0), leaseDuration: 0.05).first)
            try await store.complete(job)
            #expect(try await store.pendingJobCount() == 0)
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await store.claimJobs(limit: 10, now: at(1_000_000), leaseDuration: 60).isEmpty)
        }
    }

    @Test("nextJobDue is the earliest unclaimed run time")
    func nextJobDue() async throws {
        try await withStore { store in
            #expect(try await store.nextJobDue() == nil)
            try await acceptNew(StoreFixture.submission(organisation: org, routeAt: at(40)), in: store)
            try await acceptNew(StoreFixture.submission(organisation: org, routeAt: at(20)), in: store)
            #expect(try await store.nextJobDue() == at(20))
            let job = try #require(try await store.claimJobs(limit: 1, now: at(20), leaseDuration: 60).first)
            #expect(try await store.nextJobDue() == at(40))
            try await store.retry(job, at: at(30), error: "busy")
            #expect(try await store.nextJobDue() == at(30))
            for job in try await store.claimJobs(limit: 10, now: at(100), leaseDuration: 60) { try await store.complete(job) }
            #expect(try await store.nextJobDue() == nil)
        }
    }
}
