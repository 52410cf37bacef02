import Foundation
import GRDB
import MissiveCore

extension SQLiteStore: EnvelopeStore {
    public func accept(_ submission: Submission) async throws -> AcceptanceResult {
        try await committer.submit(submission)
    }

    /// Inserts one submission inside the group transaction, or answers a replay.
    static func insert(_ submission: Submission, _ db: Database) throws -> AcceptanceResult {
        let envelope = submission.envelope
        if let reference = envelope.ingressReference,
           let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM envelopes WHERE organisation_id = ? AND ingress = ? AND ingress_reference = ?"), arguments: [envelope.organisationID.rawValue, envelope.ingress.rawValue, reference]) {
            guard row["request_hash"] == submission.requestHash else {
                throw MissiveError(.idempotencyMismatch, "This idempotency reference was already used for a different request.")
            }
            return .replayed(try envelopeRecord(row).envelope, firstResponse: row["ingress_response"])
        }
        try db.cachedStatement(sql: """
            INSERT INTO envelopes (id, organisation_id, principal, mode, ingress, ingress_reference, request_hash,
                ingress_response, kind, title, reference, recipient, documents, policy, print, invoice, status,
                status_reason, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                envelope.id.rawValue, envelope.organisationID.rawValue, envelope.principal, envelope.mode.rawValue,
                envelope.ingress.rawValue, envelope.ingressReference, submission.requestHash, submission.ingressResponse,
                envelope.kind.rawValue, envelope.title, envelope.reference, try JSONColumn.encode(envelope.recipient),
                try JSONColumn.encode(envelope.documents), try JSONColumn.encode(envelope.policy),
                try JSONColumn.encode(envelope.print), try JSONColumn.encode(envelope.invoice), submission.acceptedEvent.type == .rejected ? EnvelopeStatus.rejected.rawValue : EnvelopeStatus.accepted.rawValue,
                try JSONColumn.encode(envelope.statusReason), envelope.createdAt.storage, envelope.updatedAt.storage,
            ])
        if let mailReturn = submission.mailReturn {
            try db.cachedStatement(sql: "INSERT INTO mail_returns (envelope_id, mail_return) VALUES (?, ?)").execute(arguments: [envelope.id.rawValue, try JSONColumn.encode(mailReturn)])
        }
        try insertEvent(submission.acceptedEvent, db)
        guard submission.acceptedEvent.type == .accepted else { return .accepted(envelope) }
        try db.cachedStatement(sql: "INSERT INTO jobs (kind, envelope_id, run_at) VALUES (?, ?, ?)").execute(arguments: [Job.Kind.route.rawValue, envelope.id.rawValue, submission.routeAt.storage])
        return .accepted(envelope)
    }

    /// Appends an event and enqueues its webhook messages and delivery status notification
    /// in the same transaction.
    static func insertEvent(_ event: StatusEvent, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO events (id, envelope_id, organisation_id, type, at, channel, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").execute(arguments: [
            event.id.rawValue, event.envelopeID.rawValue, event.organisationID.rawValue, event.type.rawValue, event.at.storage,
            event.channel?.rawValue, try JSONColumn.encode(event.reason), event.detail.isEmpty ? nil : try JSONColumn.encode(event.detail),
        ])
        try enqueueMail(for: event, db)
        if EvidenceRecord.Event(event.type) != nil {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO evidence_queue (event_id, envelope_id, organisation_id, next_attempt_at) VALUES (?, ?, ?, ?)").execute(arguments: [event.id.rawValue, event.envelopeID.rawValue, event.organisationID.rawValue, event.at.storage])
        }
        let subscriptions = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, event_types, inbox_event_types FROM webhooks WHERE organisation_id = ?"), arguments: [event.organisationID.rawValue])
        guard !subscriptions.isEmpty else { return }
        let payload = WebhookMessage.body(for: event)
        for subscription in subscriptions {
            let types = try JSONColumn.decode([EventType].self, subscription["event_types"]) ?? []
            let inboxTypes = try JSONColumn.decode([InboxEventType].self, subscription["inbox_event_types"]) ?? []
            guard WebhookSubscription.wantsStatusEvent(event.type, eventTypes: types, inboxEventTypes: inboxTypes) else { continue }
            try insertDelivery(
                id: DeliveryID.generate(at: event.at), webhook: subscription["id"], organisation: event.organisationID.rawValue, event: event.id,
                envelope: event.envelopeID, type: "envelope.\(event.type.rawValue)", payload: payload, due: event.at, createdAt: event.at, db
            )
        }
    }

    public func record(_ id: EnvelopeID, organisation: OrganisationID?) async throws -> EnvelopeRecord? {
        try await read { db in
            try Self.fetchRecord(id, organisation: organisation, db)
        }
    }

    static func fetchRecord(_ id: EnvelopeID, organisation: OrganisationID?, _ db: Database) throws -> EnvelopeRecord? {
        let row: Row?
        if let organisation {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM envelopes WHERE id = ? AND organisation_id = ?"), arguments: [id.rawValue, organisation.rawValue])
        } else {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM envelopes WHERE id = ?"), arguments: [id.rawValue])
        }
        return try row.map(envelopeRecord)
    }

    /// What a status change needs of an envelope: its state, not its content.
    struct EnvelopeState {
        var organisationID: OrganisationID
        var status: EnvelopeStatus
        var lifecycle: EnvelopeLifecycle
        var dispatchedAt: Date?
        /// The stored JSON of the status reason, written back as it is when no event changes it.
        var statusReason: String?
        var updatedAt: Date
    }

    static func fetchState(_ id: EnvelopeID, _ db: Database) throws -> EnvelopeState? {
        try Row.fetchOne(db.cachedStatement(sql: """
            SELECT organisation_id, status, channel, delivered_to_mailbox, consulted, dispatched_at, status_reason, updated_at
            FROM envelopes WHERE id = ?
            """), arguments: [id.rawValue]).map(state)
    }

    /// The state columns of an envelope row (the whole row or those columns alone).
    static func state(_ row: Row) throws -> EnvelopeState {
        guard let status = EnvelopeStatus(rawValue: row["status"]) else { throw MissiveError(.unavailable, "Corrupt envelope row.") }
        let channel = (row["channel"] as String?).flatMap(Channel.init(rawValue:))
        return EnvelopeState(
            organisationID: OrganisationID(unchecked: row["organisation_id"]), status: status,
            lifecycle: EnvelopeLifecycle(status: status, channel: channel, deliveredToMailbox: row["delivered_to_mailbox"], consulted: row["consulted"]),
            dispatchedAt: row.optionalDate("dispatched_at"), statusReason: row["status_reason"], updatedAt: row.date("updated_at")
        )
    }

    static func envelopeRecord(_ row: Row) throws -> EnvelopeRecord {
        let state = try state(row)
        guard let mode = Mode(rawValue: row["mode"]), let ingress = Ingress(rawValue: row["ingress"]),
              let kind = EnvelopeKind(rawValue: row["kind"])
        else { throw MissiveError(.unavailable, "Corrupt envelope row.") }
        let envelope = Envelope(
            id: EnvelopeID(unchecked: row["id"]), organisationID: state.organisationID,
            principal: row["principal"], mode: mode, ingress: ingress, ingressReference: row["ingress_reference"],
            kind: kind, title: row["title"], reference: row["reference"],
            recipient: try JSONColumn.decode(Recipient.self, row["recipient"]) ?? Recipient(),
            documents: try JSONColumn.decode([DocumentRef].self, row["documents"]) ?? [],
            policy: try JSONColumn.decode(ChannelPolicy.self, row["policy"]) ?? ChannelPolicy(),
            print: try JSONColumn.decode(PrintOptions.self, row["print"]) ?? PrintOptions(),
            invoice: try JSONColumn.decode(InvoiceDetails.self, row["invoice"]),
            status: state.status, statusReason: try JSONColumn.decode(Reason.self, state.statusReason), channel: state.lifecycle.channel,
            createdAt: row.date("created_at"), updatedAt: state.updatedAt
        )
        let failed = Set((row["failed_channels"] as String).split(separator: ",").compactMap { Channel(rawValue: String($0)) })
        return EnvelopeRecord(envelope: envelope, lifecycle: state.lifecycle, dispatchedAt: state.dispatchedAt, failedChannels: failed, directoryEntryID: (row["directory_entry_id"] as String?).map(DirectoryEntryID.init(unchecked:)))
    }

    public func envelopes(of organisation: OrganisationID, filter: EnvelopeFilter, after cursor: EnvelopeID?, limit: Int) async throws -> [Envelope] {
        try await read { db in
            var clauses = ["organisation_id = ?"]
            var arguments: StatementArguments = [organisation.rawValue]
            if let cursor { clauses.append("id < ?"); arguments += [cursor.rawValue] }
            if let status = filter.status { clauses.append("status = ?"); arguments += [status.rawValue] }
            if let kind = filter.kind { clauses.append("kind = ?"); arguments += [kind.rawValue] }
            if let channel = filter.channel { clauses.append("channel = ?"); arguments += [channel.rawValue] }
            if let after = filter.createdAfter { clauses.append("created_at > ?"); arguments += [after.storage] }
            if let before = filter.createdBefore { clauses.append("created_at < ?"); arguments += [before.storage] }
            if let reference = filter.reference { clauses.append("reference = ?"); arguments += [reference] }
            arguments += [limit]
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM envelopes WHERE \(clauses.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?", arguments: arguments)
            return try rows.map { try Self.envelopeRecord($0).envelope }
        }
    }

    public func events(of envelope: EnvelopeID, organisation: OrganisationID) async throws -> [StatusEvent] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM events WHERE envelope_id = ? AND organisation_id = ? ORDER BY seq"), arguments: [envelope.rawValue, organisation.rawValue]).map(Self.event)
        }
    }

    public func feed(of organisation: OrganisationID, after cursor: EventID?, type: EventType?, limit: Int) async throws -> [StatusEvent] {
        try await read { db in
            var start: Int64 = 0
            if let cursor {
                guard let seq = try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM events WHERE id = ? AND organisation_id = ?"), arguments: [cursor.rawValue, organisation.rawValue]) else {
                    throw MissiveError(.invalidField, "Unknown cursor.", pointer: "after")
                }
                start = seq
            }
            var sql = "SELECT * FROM events WHERE organisation_id = ? AND seq > ?"
            var arguments: StatementArguments = [organisation.rawValue, start]
            if let type { sql += " AND type = ?"; arguments += [type.rawValue] }
            sql += " ORDER BY seq LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.event)
        }
    }

    static func event(_ row: Row) throws -> StatusEvent {
        guard let type = EventType(rawValue: row["type"]) else { throw MissiveError(.unavailable, "Corrupt event row.") }
        return StatusEvent(
            id: EventID(unchecked: row["id"]), envelopeID: EnvelopeID(unchecked: row["envelope_id"]),
            organisationID: OrganisationID(unchecked: row["organisation_id"]), type: type, at: row.date("at"),
            channel: (row["channel"] as String?).flatMap(Channel.init(rawValue:)),
            reason: try JSONColumn.decode(Reason.self, row["reason"]),
            detail: try JSONColumn.decode([String: String].self, row["detail"]) ?? [:]
        )
    }

    public func apply(_ change: EnvelopeChange) async throws {
        try await write { db in
            // The envelope's state only: its content (JSON columns) is not decoded here.
            guard let record = try Self.fetchState(change.envelopeID, db) else {
                throw MissiveError(.notFound, "No such envelope.")
            }
            if change.requireUndispatched, record.dispatchedAt != nil {
                throw MissiveError(.conflict, "The envelope was already handed to its channel.")
            }
            if let job = change.completing {
                try db.cachedStatement(sql: "DELETE FROM jobs WHERE id = ? AND lease = ?").execute(arguments: [job.id, job.lease])
                guard db.changesCount == 1 else { throw MissiveError(.conflict, "The job's lease was lost.") }
            }
            var lifecycle = record.lifecycle
            var reason = record.statusReason
            var updatedAt = record.updatedAt
            for event in change.events {
                guard event.envelopeID == change.envelopeID, event.organisationID == record.organisationID else {
                    throw MissiveError(.illegalTransition, "An event must belong to the envelope it changes.")
                }
                try lifecycle.apply(event.type, channel: event.channel)
                try Self.insertEvent(event, db)
                reason = try JSONColumn.encode(event.reason)
                updatedAt = event.at
            }
            if !change.dropPending.isEmpty {
                let kinds = change.dropPending.map(\.rawValue)
                try db.execute(sql: "DELETE FROM jobs WHERE envelope_id = ? AND kind IN (\(kinds.map { _ in "?" }.joined(separator: ",")))", arguments: StatementArguments([change.envelopeID.rawValue] + kinds))
            }
            for job in change.enqueue {
                try db.cachedStatement(sql: "INSERT INTO jobs (kind, envelope_id, run_at) VALUES (?, ?, ?)").execute(arguments: [job.kind.rawValue, change.envelopeID.rawValue, job.runAt.storage])
            }
            let dispatchedAt: Double? = switch change.dispatched {
            case .some(true): Date().storage
            case .some(false): nil
            case .none: record.dispatchedAt?.storage
            }
            try db.cachedStatement(sql: """
                UPDATE envelopes SET status = ?, status_reason = ?, channel = ?, delivered_to_mailbox = ?, consulted = ?,
                    dispatched_at = ?, updated_at = ? WHERE id = ?
                """).execute(arguments: [
                    (lifecycle.status ?? .accepted).rawValue, reason, lifecycle.channel?.rawValue,
                    lifecycle.deliveredToMailbox, lifecycle.consulted, dispatchedAt, updatedAt.storage, change.envelopeID.rawValue,
                ])
        }
    }

    public func noteRouting(_ envelope: EnvelopeID, entry: DirectoryEntryID?, failedChannel: Channel?) async throws {
        try await write { db in
            if let entry {
                try db.cachedStatement(sql: "UPDATE envelopes SET directory_entry_id = ? WHERE id = ?").execute(arguments: [entry.rawValue, envelope.rawValue])
            }
            if let failedChannel {
                try db.cachedStatement(sql: """
                    UPDATE envelopes SET failed_channels = CASE WHEN failed_channels = '' THEN ? ELSE failed_channels || ',' || ? END
                    WHERE id = ? AND instr(',' || failed_channels || ',', ',' || ? || ',') = 0
                    """).execute(arguments: [failedChannel.rawValue, failedChannel.rawValue, envelope.rawValue, failedChannel.rawValue])
            }
        }
    }

    public func undispatched(for entry: DirectoryEntryID) async throws -> [EnvelopeID] {
        try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT id FROM envelopes WHERE directory_entry_id = ? AND dispatched_at IS NULL AND status IN ('accepted', 'routed')"), arguments: [entry.rawValue]).map(EnvelopeID.init(unchecked:))
        }
    }
}
