import Foundation
import GRDB
import MissiveCore

extension SQLiteStore: MailOutbox {
    /// Enqueues the notification an event means for an SMTP sender, if it asked for one.
    static func enqueueMail(for event: StatusEvent, _ db: Database) throws {
        guard MailReturn.notifiable.contains(event.type),
              let json = try String.fetchOne(db.cachedStatement(sql: "SELECT mail_return FROM mail_returns WHERE envelope_id = ?"), arguments: [event.envelopeID.rawValue]),
              let mailReturn = try JSONColumn.decode(MailReturn.self, json), mailReturn.wants(event.type)
        else { return }
        try db.cachedStatement(sql: """
            INSERT INTO mail_outbox (id, organisation_id, envelope_id, event, mail_return, status, next_attempt_at, created_at)
            VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
            """).execute(arguments: [DeliveryID.generate(at: event.at).rawValue, event.organisationID.rawValue, event.envelopeID.rawValue, try JSONColumn.encode(event), json, event.at.storage, event.at.storage])
    }

    public func claimMail(limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [OutgoingMail] {
        let lease = UUID().uuidString
        let real = Date()
        return try await write { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                UPDATE mail_outbox SET lease = ?, lease_until = ?
                WHERE seq IN (SELECT seq FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= ?
                              AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at LIMIT ?)
                RETURNING *
                """), arguments: [lease, real.addingTimeInterval(leaseDuration).storage, now.storage, real.storage, limit])
            return try rows.compactMap { row in
                guard let event = try JSONColumn.decode(StatusEvent.self, row["event"] as String),
                      let mailReturn = try JSONColumn.decode(MailReturn.self, row["mail_return"] as String)
                else { return nil }
                return OutgoingMail(id: DeliveryID(unchecked: row["id"]), organisationID: OrganisationID(unchecked: row["organisation_id"]), envelopeID: EnvelopeID(unchecked: row["envelope_id"]), event: event, mailReturn: mailReturn, attemptCount: row["attempt_count"], lease: lease)
            }
        }
    }

    public func recordMailAttempt(_ mail: OutgoingMail, sent: Bool, error: String?, nextAttemptAt: Date?) async throws {
        try await write { db in
            let status = sent ? "sent" : (nextAttemptAt == nil ? "failed" : "pending")
            try db.cachedStatement(sql: "UPDATE mail_outbox SET status = ?, attempt_count = attempt_count + 1, last_error = ?, next_attempt_at = ?, lease = NULL, lease_until = NULL WHERE id = ? AND lease = ?").execute(arguments: [status, error, nextAttemptAt?.storage, mail.id.rawValue, mail.lease])
        }
    }

    public func nextMailDue() async throws -> Date? {
        try await read { db in
            try Double.fetchOne(db.cachedStatement(sql: "SELECT MIN(next_attempt_at) FROM mail_outbox WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < ?)"), arguments: [Date().storage]).map(Date.init(storage:))
        }
    }
}
