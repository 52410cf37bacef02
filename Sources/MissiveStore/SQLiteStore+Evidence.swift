import Foundation
import GRDB
import MissiveCore

extension SQLiteStore: EvidenceStore {
    public func claimEvidence(limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [PendingEvidence] {
        let lease = UUID().uuidString
        let real = Date()
        return try await write { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                UPDATE evidence_queue SET lease = ?, lease_until = ?
                WHERE event_id IN (SELECT event_id FROM evidence_queue WHERE next_attempt_at <= ?
                                   AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at LIMIT ?)
                RETURNING *
                """), arguments: [lease, real.addingTimeInterval(leaseDuration).storage, now.storage, real.storage, limit]).map { row in
                PendingEvidence(eventID: EventID(unchecked: row["event_id"]), envelopeID: EnvelopeID(unchecked: row["envelope_id"]), organisationID: OrganisationID(unchecked: row["organisation_id"]), attempts: row["attempts"], lease: lease)
            }
        }
    }

    public func storeEvidence(_ batch: [(evidence: StoredEvidence, pending: PendingEvidence)]) async throws {
        guard !batch.isEmpty else { return }
        try await write { db in
            for (evidence, pending) in batch {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO evidence (id, event_id, envelope_id, organisation_id, event, record, seal, sealed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").execute(arguments: [
                    evidence.record.evidenceId.rawValue, evidence.record.eventId.rawValue, evidence.record.envelopeId.rawValue, pending.organisationID.rawValue,
                    evidence.record.event.rawValue, evidence.canonical, evidence.seal, evidence.sealedAt.storage,
                ])
                for (index, seal) in evidence.documentSeals.enumerated() {
                    try db.cachedStatement(sql: "INSERT OR IGNORE INTO evidence_document_seals (evidence_id, idx, seal) VALUES (?, ?, ?)").execute(arguments: [evidence.record.evidenceId.rawValue, index, seal])
                }
                try db.cachedStatement(sql: "DELETE FROM evidence_queue WHERE event_id = ? AND lease = ?").execute(arguments: [pending.eventID.rawValue, pending.lease])
            }
        }
    }

    public func retryEvidence(_ pending: PendingEvidence, at date: Date, error: String) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE evidence_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, lease = NULL, lease_until = NULL WHERE event_id = ? AND lease = ?").execute(arguments: [date.storage, error, pending.eventID.rawValue, pending.lease])
        }
    }

    public func discardEvidence(_ batch: [PendingEvidence]) async throws {
        guard !batch.isEmpty else { return }
        try await write { db in
            for pending in batch {
                try db.cachedStatement(sql: "DELETE FROM evidence_queue WHERE event_id = ? AND lease = ?").execute(arguments: [pending.eventID.rawValue, pending.lease])
            }
        }
    }

    public func nextEvidenceDue() async throws -> Date? {
        try await read { db in
            try Double.fetchOne(db.cachedStatement(sql: "SELECT MIN(next_attempt_at) FROM evidence_queue WHERE lease_until IS NULL OR lease_until < ?"), arguments: [Date().storage]).map(Date.init(storage:))
        }
    }

    public func evidence(of envelope: EnvelopeID, organisation: OrganisationID) async throws -> [StoredEvidence] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT id, record, seal, sealed_at FROM evidence WHERE envelope_id = ? AND organisation_id = ? ORDER BY id"), arguments: [envelope.rawValue, organisation.rawValue])
                .map { try Self.storedEvidence($0, db) }
        }
    }

    public func evidence(_ id: EvidenceID, organisation: OrganisationID) async throws -> StoredEvidence? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT id, record, seal, sealed_at FROM evidence WHERE id = ? AND organisation_id = ?"), arguments: [id.rawValue, organisation.rawValue])
                .map { try Self.storedEvidence($0, db) }
        }
    }

    static func storedEvidence(_ row: Row, _ db: Database) throws -> StoredEvidence {
        let documentSeals = try Data.fetchAll(db.cachedStatement(sql: "SELECT seal FROM evidence_document_seals WHERE evidence_id = ? ORDER BY idx"), arguments: [row["id"] as String])
        return StoredEvidence(record: try EvidenceRecord.decode(row["record"]), canonical: row["record"], seal: row["seal"], sealedAt: Date(storage: row["sealed_at"]), documentSeals: documentSeals)
    }
}

extension SQLiteStore {
    /// Events waiting for their evidence, and evidence records issued (for /metrics).
    public func evidenceCounts() async throws -> (pending: Int, issued: Int) {
        try await read { db in
            (try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM evidence_queue")) ?? 0, try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM evidence")) ?? 0)
        }
    }
}
