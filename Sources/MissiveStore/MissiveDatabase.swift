import Foundation
import GRDB
import MissiveCore

/// Owns the SQLite database of a data folder: opening it with the durability settings
/// Missive promises (WAL, `synchronous=FULL`) and migrating its schema.
public struct MissiveDatabase: Sendable {
    public let pool: DatabasePool

    /// Opens (creating if needed) and migrates the database at `path`.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 8
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB sets synchronous=NORMAL on the WAL writer after prepareDatabase; Missive
        // acknowledges only what survives a power cut, so the writer gets FULL.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        try Self.migrator.migrate(pool)
        // Organisations from before business inboxes get theirs (a read when all have one).
        if try pool.read({ db in try Bool.fetchOne(db, sql: "SELECT 1 FROM organisations WHERE id NOT IN (SELECT organisation_id FROM business_inboxes) LIMIT 1") }) != nil {
            try pool.write { db in try SQLiteStore.ensureBusinessInboxes(db) }
        }
    }

    /// The schema, one migration per change; never edit a shipped migration.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: Schema.v1)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: Schema.v2)
        }
        migrator.registerMigration("v3") { db in
            try db.execute(sql: Schema.v3)
        }
        migrator.registerMigration("v4") { db in
            try db.execute(sql: Schema.v4)
        }
        migrator.registerMigration("v5") { db in
            try db.execute(sql: Schema.v5)
        }
        migrator.registerMigration("v6-encryption") { db in
            try db.execute(sql: Schema.v6Encryption)
        }
        migrator.registerMigration("v7") { db in
            try db.execute(sql: Schema.v7)
        }
        migrator.registerMigration("v8") { db in
            try db.execute(sql: Schema.v8)
        }
        migrator.registerMigration("v9") { db in
            try db.execute(sql: Schema.v9)
        }
        migrator.registerMigration("v10") { db in
            try db.execute(sql: Schema.v10)
        }
        migrator.registerMigration("v11-business-inbox") { db in
            try db.execute(sql: Schema.v11)
            try SQLiteStore.migrateBusinessInboxes(db)
            try db.execute(sql: Schema.v11Indexes)
        }
        migrator.registerMigration("v12-directory-keys") { db in
            try db.execute(sql: Schema.v12DirectoryKeys)
            for row in try Row.fetchAll(db, sql: "SELECT id, postal FROM directory_entries WHERE postal IS NOT NULL") {
                guard let postal = try JSONColumn.decode(PostalAddress.self, row["postal"]) else { continue }
                try db.execute(sql: "UPDATE directory_entries SET match_key = ?, street_key = ? WHERE id = ?", arguments: [postal.matchKey, postal.streetKey, row["id"] as String])
            }
        }
        return migrator
    }
}

/// Maps storage errors to core errors: a full disk or a busy database is retryable.
func storeError(_ error: any Error) -> any Error {
    if let error = error as? DatabaseError {
        switch error.resultCode {
        case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN, .SQLITE_READONLY:
            return MissiveError(.unavailable, "The store cannot write right now (\(error.resultCode)).")
        default:
            return error
        }
    }
    return error
}
