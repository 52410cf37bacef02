import Foundation
import GRDB
import MissiveCore

extension SQLiteStore {
    public func claimJobs(limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [Job] {
        let lease = UUID().uuidString
        let real = Date()
        return try await write { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                UPDATE jobs SET lease = ?, lease_until = ?
                WHERE id IN (SELECT id FROM jobs WHERE run_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY run_at LIMIT ?)
                RETURNING id, kind, envelope_id, run_at, attempts
                """), arguments: [lease, real.addingTimeInterval(leaseDuration).storage, now.storage, real.storage, limit])
            return rows.compactMap { row in
                guard let kind = Job.Kind(rawValue: row["kind"]) else { return nil }
                return Job(id: row["id"], kind: kind, envelopeID: EnvelopeID(unchecked: row["envelope_id"]), runAt: row.date("run_at"), attempts: row["attempts"], lease: lease)
            }
        }
    }

    public func complete(_ job: Job) async throws {
        try await write { db in
            try db.cachedStatement(sql: "DELETE FROM jobs WHERE id = ? AND lease = ?").execute(arguments: [job.id, job.lease])
        }
    }

    public func retry(_ job: Job, at runAt: Date, error: String) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE jobs SET run_at = ?, attempts = attempts + 1, lease = NULL, lease_until = NULL, last_error = ? WHERE id = ? AND lease = ?").execute(arguments: [runAt.storage, String(error.prefix(500)), job.id, job.lease])
        }
    }

    public func postpone(_ job: Job, until runAt: Date) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE jobs SET run_at = ?, lease = NULL, lease_until = NULL WHERE id = ? AND lease = ?").execute(arguments: [runAt.storage, job.id, job.lease])
        }
    }

    public func nextJobDue() async throws -> Date? {
        try await read { db in
            try Double.fetchOne(db.cachedStatement(sql: "SELECT MIN(run_at) FROM jobs WHERE lease_until IS NULL OR lease_until < ?"), arguments: [Date().storage]).map(Date.init(storage:))
        }
    }

    /// Jobs not yet done (for readiness and metrics).
    public func pendingJobCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM jobs")) ?? 0 }
    }

    /// Jobs due at `now` and not done yet: the dispatcher's backlog, without timers set for
    /// later (such as the 7-day non-consultation check of every delivered letter).
    public func dueJobCount(now: Date) async throws -> Int {
        try await read { db in try Self.dueJobCount(now: now, db) }
    }

    static func dueJobCount(now: Date, _ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM jobs WHERE run_at <= ?"), arguments: [now.storage]) ?? 0
    }
}

extension SQLiteStore {
    /// The work due behind acceptance at `now`: dispatch jobs due plus legal events waiting
    /// for their evidence (admission control). Timers set for later and work backing off
    /// after a failure (a channel or time-stamp service down) are left out: they do not
    /// compete for the machine now.
    public func admissionBacklog(now: Date) async throws -> Int {
        try await read { db in
            let jobs = try Self.dueJobCount(now: now, db)
            let evidence = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM evidence_queue WHERE next_attempt_at <= ?"), arguments: [now.storage]) ?? 0
            return jobs + evidence
        }
    }

    /// Envelopes per status (metrics).
    public func statusCounts() async throws -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT status, COUNT(*) AS n FROM envelopes GROUP BY status")) {
                counts[row["status"]] = row["n"]
            }
            return counts
        }
    }

    /// Webhook messages still pending (metrics).
    public func pendingDeliveryCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'")) ?? 0 }
    }
}

extension SQLiteStore {
    /// Releases every lease (jobs and webhook messages). Only for start-up of the one hub
    /// that owns this data folder: claims of a previous, crashed run are stale.
    public func releaseLeases() async throws {
        try await write { db in
            try db.execute(sql: "UPDATE jobs SET lease = NULL, lease_until = NULL WHERE lease IS NOT NULL")
            try db.execute(sql: "UPDATE webhook_deliveries SET lease = NULL, lease_until = NULL WHERE lease IS NOT NULL")
            try db.execute(sql: "UPDATE mail_outbox SET lease = NULL, lease_until = NULL WHERE lease IS NOT NULL")
            try db.execute(sql: "UPDATE evidence_queue SET lease = NULL, lease_until = NULL WHERE lease IS NOT NULL")
        }
    }
}
