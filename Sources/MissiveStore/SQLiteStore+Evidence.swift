import Foundation
import GRDB
import MissiveCore

extension SQLiteStore: EvidenceStore {
    public func claimEvidence(limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [PendingEvidence] {
        let lease = UUID().uuidString
        let real = Date()
        return try await write { db in
            try Row.fetchAll(db, sql: """
                UPDATE evidence_queue SET lease = ?, lease_until = ?
                WHERE event_id IN (SELECT event_id FROM evidence_queue WHERE next_attempt_at <= ?
                                   AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at LIMIT ?)
                RETURNING *
                """, arguments: [lease, real.addingTimeInterval(leaseDuration).storage, now.storage, real.storage, limit]).map { row in
                PendingEvidence(eventID: EventID(unchecked: row["event_id"]), envelopeID: EnvelopeID(unchecked: row["envelope_id"]), organisationID: OrganisationID(unchecked: row["organisation_id"]), attempts: row["attempts"], lease: lease)
            }
        }
    }

    public func storeEvidence(_ evidence: StoredEvidence, for pending: PendingEvidence) async throws {
        try await write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO evidence (id, event_id, envelope_id, organisation_id, event, record, seal, sealed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", arguments: [
                evidence.record.evidenceId.rawValue, evidence.record.eventId.rawValue, evidence.record.envelopeId.rawValue, pending.organisationID.rawValue,
                evidence.record.event.rawValue, evidence.canonical, evidence.seal, evidence.sealedAt.storage,
            ])
            try db.execute(sql: "DELETE FROM evidence_queue WHERE event_id = ? AND lease = ?", arguments: [pending.eventID.rawValue, pending.lease])
        }
    }

    public func retryEvidence(_ pending: PendingEvidence, at date: Date, error: String) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE evidence_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, lease = NULL, lease_until = NULL WHERE event_id = ? AND lease = ?", arguments: [date.storage, error, pending.eventID.rawValue, pending.lease])
        }
    }

    public func discardEvidence(_ pending: PendingEvidence) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM evidence_queue WHERE event_id = ? AND lease = ?", arguments: [pending.eventID.rawValue, pending.lease])
        }
    }

    public func nextEvidenceDue() async throws -> Date? {
        try await read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM evidence_queue WHERE lease_until IS NULL OR lease_until < ?", arguments: [Date().storage]).map(Date.init(storage:))
        }
    }

    public func evidence(of envelope: EnvelopeID, organisation: OrganisationID) async throws -> [StoredEvidence] {
        let rows = try await read { db in
            try Row.fetchAll(db, sql: "SELECT record, seal, sealed_at FROM evidence WHERE envelope_id = ? AND organisation_id = ? ORDER BY id", arguments: [envelope.rawValue, organisation.rawValue])
                .map { ($0["record"] as Data, $0["seal"] as Data, $0["sealed_at"] as Double) }
        }
        return try rows.map { try Self.storedEvidence($0.0, $0.1, $0.2) }
    }

    public func evidence(_ id: EvidenceID, organisation: OrganisationID) async throws -> StoredEvidence? {
        let row = try await read { db in
            try Row.fetchOne(db, sql: "SELECT record, seal, sealed_at FROM evidence WHERE id = ? AND organisation_id = ?", arguments: [id.rawValue, organisation.rawValue])
                .map { ($0["record"] as Data, $0["seal"] as Data, $0["sealed_at"] as Double) }
        }
        return try row.map { try Self.storedEvidence($0.0, $0.1, $0.2) }
    }

    static func storedEvidence(_ canonical: Data, _ seal: Data, _ sealedAt: Double) throws -> StoredEvidence {
        StoredEvidence(record: try EvidenceRecord.decode(canonical), canonical: canonical, seal: seal, sealedAt: Date(storage: sealedAt))
    }
}
