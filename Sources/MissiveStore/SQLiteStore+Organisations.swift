import Foundation
import GRDB
import MissiveCore

extension SQLiteStore: OrganisationStore {
    public func organisation(_ id: OrganisationID) async throws -> Organisation? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM organisations WHERE id = ?"), arguments: [id.rawValue]).map { row in
                let postal = try JSONColumn.decode(PostalAddress.self, row["postal"])
                return Organisation(
                    id: id, name: row["legal_name"] ?? row["name"],
                    profile: postal.map { OrganisationProfile(legalName: row["legal_name"] ?? row["name"], uid: row["uid"], postal: $0) },
                    state: OrganisationState(rawValue: row["state"]) ?? .unverified, stateReason: row["state_reason"], createdAt: row.date("created_at")
                )
            }
        }
    }

    public func organisationState(_ id: OrganisationID) async throws -> OrganisationState? {
        try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM organisations WHERE id = ?"), arguments: [id.rawValue]).map { OrganisationState(rawValue: $0) ?? .unverified }
        }
    }

    public func register(_ id: OrganisationID, profile: OrganisationProfile, at date: Date) async throws {
        try await write { db in
            try Self.refuseTakenUID(profile.uid, besides: id, db)
            try db.cachedStatement(sql: """
                INSERT INTO organisations (id, name, verified, created_at, legal_name, uid, postal, state, state_reason)
                VALUES (?, ?, 0, ?, ?, ?, ?, 'unverified', 'registered')
                """).execute(arguments: [id.rawValue, profile.legalName, date.storage, profile.legalName, profile.uid, try JSONColumn.encode(profile.postal)])
            try Self.syncBusinessInbox(of: id, db)
        }
    }

    public func changeProfile(_ id: OrganisationID, to profile: OrganisationProfile, at date: Date) async throws {
        try await write { db in
            try Self.refuseTakenUID(profile.uid, besides: id, db)
            try db.cachedStatement(sql: """
                UPDATE organisations SET name = ?, legal_name = ?, uid = ?, postal = ?, state = 'unverified', state_reason = 'profile_changed', verified = 0
                WHERE id = ?
                """).execute(arguments: [profile.legalName, profile.legalName, profile.uid, try JSONColumn.encode(profile.postal), id.rawValue])
            guard db.changesCount == 1 else { throw MissiveError(.notFound, "No such organisation.") }
            try db.cachedStatement(sql: "UPDATE verification_letters SET superseded_at = ? WHERE organisation_id = ? AND used_at IS NULL AND superseded_at IS NULL").execute(arguments: [date.storage, id.rawValue])
            // The business inbox pauses with sending.
            try Self.syncBusinessInbox(of: id, db)
        }
    }

    public func addVerificationLetter(_ letter: VerificationLetter) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE verification_letters SET superseded_at = ? WHERE organisation_id = ? AND used_at IS NULL AND superseded_at IS NULL").execute(arguments: [letter.createdAt.storage, letter.organisationID.rawValue])
            try db.cachedStatement(sql: "INSERT INTO verification_letters (id, organisation_id, code_hash, envelope_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)").execute(arguments: [
                letter.id.rawValue, letter.organisationID.rawValue, letter.codeHash, letter.envelopeID?.rawValue, letter.createdAt.storage, letter.expiresAt.storage,
            ])
        }
    }

    public func setVerificationEnvelope(_ letter: VerificationID, envelope: EnvelopeID) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE verification_letters SET envelope_id = ? WHERE id = ?").execute(arguments: [envelope.rawValue, letter.rawValue])
        }
    }

    public func openVerificationLetter(of organisation: OrganisationID) async throws -> VerificationLetter? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT * FROM verification_letters WHERE organisation_id = ? AND used_at IS NULL AND superseded_at IS NULL
                ORDER BY created_at DESC LIMIT 1
                """), arguments: [organisation.rawValue]).map { row in
                VerificationLetter(
                    id: VerificationID(unchecked: row["id"]), organisationID: organisation, codeHash: row["code_hash"],
                    envelopeID: (row["envelope_id"] as String?).map(EnvelopeID.init(unchecked:)), createdAt: row.date("created_at"),
                    expiresAt: row.date("expires_at"), attempts: row["attempts"], usedAt: row.optionalDate("used_at"), supersededAt: row.optionalDate("superseded_at")
                )
            }
        }
    }

    public func verificationLetterCount(of organisation: OrganisationID, since date: Date) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM verification_letters WHERE organisation_id = ? AND created_at >= ?"), arguments: [organisation.rawValue, date.storage]) ?? 0
        }
    }

    public func recordFailedVerification(_ letter: VerificationID) async throws -> Int {
        try await write { db in
            try Int.fetchOne(db.cachedStatement(sql: "UPDATE verification_letters SET attempts = attempts + 1 WHERE id = ? RETURNING attempts"), arguments: [letter.rawValue]) ?? 0
        }
    }

    public func completeVerification(_ letter: VerificationID, organisation: OrganisationID, at date: Date) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE verification_letters SET used_at = ? WHERE id = ? AND organisation_id = ? AND used_at IS NULL AND superseded_at IS NULL").execute(arguments: [date.storage, letter.rawValue, organisation.rawValue])
            guard db.changesCount == 1 else { return false }
            // Two registrations under one UID: the first to verify holds it.
            try Self.refuseTakenUID(try String.fetchOne(db.cachedStatement(sql: "SELECT uid FROM organisations WHERE id = ?"), arguments: [organisation.rawValue]), besides: organisation, db)
            try db.cachedStatement(sql: "UPDATE organisations SET state = 'verified', state_reason = NULL, verified = 1 WHERE id = ?").execute(arguments: [organisation.rawValue])
            // The business inbox resumes, under the now verified UID and address.
            try Self.syncBusinessInbox(of: organisation, db)
            return true
        }
    }

    /// A UID names one company: once an organisation verified under it, nobody else registers,
    /// moves to or verifies under it (its business inbox would otherwise be ambiguous).
    static func refuseTakenUID(_ uid: String?, besides id: OrganisationID, _ db: Database) throws {
        guard let uid else { return }
        let taken = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM organisations WHERE uid = ? AND id != ? AND state = 'verified'"), arguments: [uid, id.rawValue])
        guard taken == nil else {
            throw MissiveError(.conflict, "Another verified organisation holds this UID; if it is yours, contact the operator.", pointer: "/uid")
        }
    }
}
