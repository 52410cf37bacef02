import Foundation
import GRDB
import Logging
import MissiveCore

/// The embedded store: one SQLite database (WAL, `synchronous=FULL`) implementing every
/// storage port of the core. Writes that acknowledge a submission are group-committed, and
/// every other write shares a transaction with the writes waiting beside it.
public final class SQLiteStore: Sendable {
    public let database: MissiveDatabase
    let committer: GroupCommitter
    /// Every other write: batched into shared transactions (see ``WriteBatcher``).
    let writes: WriteBatcher
    let logger: Logger
    /// Seals API keys so WS-Security PasswordDigest can be checked (see ``SecretSealer``).
    public let sealer: SecretSealer

    public init(database: MissiveDatabase, sealer: SecretSealer, logger: Logger) {
        self.database = database
        self.sealer = sealer
        self.logger = logger
        let pool = database.pool
        self.writes = WriteBatcher(pool: pool)
        self.committer = GroupCommitter { submissions in
            try await pool.write { db in
                submissions.map { submission in
                    do {
                        var result: AcceptanceResult?
                        try db.inSavepoint {
                            result = try Self.insert(submission, db)
                            return .commit
                        }
                        return .success(result!)
                    } catch {
                        return .failure(storeError(error))
                    }
                }
            }
        }
    }

    /// Runs the group committer until cancelled (part of the service group).
    public func run() async {
        await committer.run()
    }

    /// True when the database answers.
    public func isReady() async -> Bool {
        (try? await database.pool.read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT 1")) }) == 1
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do { return try await database.pool.read(body) } catch { throw storeError(error) }
    }

    /// A write in its own savepoint of a transaction shared with the writes waiting beside it
    /// (one fsync for all); durable when it returns.
    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do { return try await writes.write(body) } catch { throw storeError(error) }
    }

    /// Reads a setting (e.g. the sandbox clock offset).
    public func setting(_ key: String) async throws -> String? {
        try await read { db in try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM settings WHERE key = ?"), arguments: [key]) }
    }

    /// Writes a setting.
    public func setSetting(_ key: String, _ value: String) async throws {
        try await write { db in
            try db.cachedStatement(sql: "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").execute(arguments: [key, value])
        }
    }
}
