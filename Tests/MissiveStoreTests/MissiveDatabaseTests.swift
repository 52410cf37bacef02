import Foundation
import GRDB
import Logging
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("MissiveDatabase")
struct MissiveDatabaseTests {
    @Test("the writer connection runs in WAL mode with foreign keys on")
    func writerIsWAL() async throws {
        let folder = try StoreFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try MissiveDatabase(path: folder.appendingPathComponent("missive.sqlite").path)
        let (journal, foreignKeys) = try await database.pool.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(journal == "wal")
        #expect(foreignKeys == 1)
        let readerJournal = try await database.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(readerJournal == "wal")
    }

    /// DESIGN §5/§10: "accepted" means durable, so the writer must fsync every commit
    /// (`synchronous = FULL`, 2). GRDB's `DatabasePool` runs `PRAGMA synchronous = NORMAL`
    /// on the writer *after* `prepareDatabase`, so the store sets FULL again once the pool is open.
    @Test("the writer connection commits with synchronous = FULL")
    func writerIsSynchronousFull() async throws {
        let folder = try StoreFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try MissiveDatabase(path: folder.appendingPathComponent("missive.sqlite").path)
        let synchronous = try await database.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(synchronous == 2)
        // Still FULL after the migrations and a transaction, and again after reopening.
        try await database.pool.write { db in try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('probe', '1')") }
        #expect(try await database.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 2)
        let reopened = try MissiveDatabase(path: folder.appendingPathComponent("missive.sqlite").path)
        #expect(try await reopened.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 2)
    }

    @Test("opening migrates the schema once; reopening keeps data and applies nothing again")
    func migrationsAreIdempotent() async throws {
        let folder = try StoreFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("missive.sqlite").path
        do {
            let store = try StoreFixture.openStore(path: path)
            try await store.setSetting("clock.offset", "42")
        }
        for _ in 0..<2 {
            let database = try MissiveDatabase(path: path)
            let (migrations, tables, completed) = try await database.pool.read { db in
                (
                    try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"),
                    try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"),
                    try MissiveDatabase.migrator.hasCompletedMigrations(db)
                )
            }
            #expect(migrations == ["v1", "v2", "v3", "v4", "v5", "v6-encryption", "v7", "v8", "v9", "v10", "v11-business-inbox", "v12-directory-keys"])
            #expect(completed)
            #expect(tables.isSuperset(of: ["organisations", "api_keys", "directory_entries", "mailbox_keys", "envelopes", "events", "jobs", "mailbox_letters", "webhooks", "webhook_deliveries", "webhook_attempts", "settings", "wsse_nonces", "sender_domains", "recipient_aliases", "mail_returns", "mail_outbox", "evidence", "evidence_queue", "evidence_document_seals", "verification_letters", "users", "login_challenges", "user_sessions"]))
            let store = SQLiteStore(database: database, sealer: .ephemeral(), logger: .init(label: "test"))
            #expect(try await store.setting("clock.offset") == "42")
        }
    }

    @Test("settings round-trip and are overwritten; the store reports ready")
    func settings() async throws {
        try await withStore { store in
            #expect(await store.isReady())
            #expect(try await store.setting("missing") == nil)
            try await store.setSetting("sandbox.clock", "1")
            try await store.setSetting("sandbox.clock", "2")
            #expect(try await store.setting("sandbox.clock") == "2")
        }
    }

    @Test("a v1 database migrates to v2: existing keys and webhooks keep working, without digest secrets")
    func migrationFromV1() async throws {
        let folder = try StoreFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("missive.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try MissiveDatabase.migrator.migrate(queue, upTo: "v1")
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO organisations (id, name, verified, created_at) VALUES ('org_01KB0000000000000000000000', 'Alt AG', 1, 0)")
                try db.execute(sql: "INSERT INTO api_keys (id, organisation_id, secret_hash, mode, created_at) VALUES ('key_01KB0000000000000000000000', 'org_01KB0000000000000000000000', ?, 'test', 0)", arguments: [BearerSecret.hash("mk_test_old")])
                try db.execute(sql: "INSERT INTO webhooks (id, organisation_id, url, event_types, secret, created_at) VALUES ('whk_01KB0000000000000000000000', 'org_01KB0000000000000000000000', 'https://x.example', '[]', 'whsec_x', 0)")
            }
        }
        let store = try StoreFixture.openStore(path: path)
        let organisation = OrganisationID(unchecked: "org_01KB0000000000000000000000")
        #expect(try await store.principal(forSecretHash: BearerSecret.hash("mk_test_old")) == .organisation(organisation, key: APIKeyID(unchecked: "key_01KB0000000000000000000000"), mode: .test, roles: .all))
        #expect(try await store.digestCredentials(of: organisation).isEmpty)
        #expect(try await store.subscriptions(of: organisation).map(\.format) == [.standardWebhooks])
    }

    @Test("a v10 database migrates to v11: every organisation gets a business inbox, letters keep their mode and get arrival numbers and search keys")
    func migrationToBusinessInboxes() async throws {
        let folder = try StoreFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("missive.sqlite").path
        let verified = OrganisationID(unchecked: "org_01KB0000000000000000000001")
        let paused = OrganisationID(unchecked: "org_01KB0000000000000000000002")
        let mailbox = MailboxID(unchecked: "mbx_01KB0000000000000000000001")
        do {
            let queue = try DatabaseQueue(path: path)
            try MissiveDatabase.migrator.migrate(queue, upTo: "v10")
            try await queue.write { db in
                try db.execute(sql: """
                    INSERT INTO organisations (id, name, verified, created_at, legal_name, uid, postal, state) VALUES
                    (?, 'Alt AG', 1, 0, 'Alt AG', 'CHE-100.200.300', ?, 'verified'), (?, 'Umzug AG', 0, 1, 'Umzug AG', 'CHE-100.200.301', NULL, 'unverified')
                    """, arguments: [verified.rawValue, try JSONColumn.encode(StoreFixture.address), paused.rawValue])
                for (index, (seconds, mode)) in [(20.0, "live"), (10, "test"), (30, "live")].enumerated() {
                    try db.execute(sql: "INSERT INTO envelopes (id, organisation_id, principal, mode, ingress, request_hash, kind, recipient, documents, policy, print, status, created_at, updated_at) VALUES (?, ?, 'k', ?, 'rest', 'h', 'letter', '{}', '[]', '{}', '{}', 'delivered', 0, 0)", arguments: ["env_\(index)", verified.rawValue, mode])
                    try db.execute(sql: "INSERT INTO mailbox_letters (id, mailbox_id, envelope_id, organisation_id, sender_name, kind, title, delivered_at, document, attachment_count) VALUES (?, ?, ?, ?, 'Stadt Zürich', 'letter', 'Größe', ?, ?, 0)", arguments: [
                        "ltr_\(index)", mailbox.rawValue, "env_\(index)", verified.rawValue, seconds, try JSONColumn.encode(StoreFixture.mainDocument),
                    ])
                }
            }
        }
        let store = try StoreFixture.openStore(path: path)
        let inbox = try #require(try await store.businessInbox(of: verified))
        #expect(inbox.active && inbox.uid == "CHE-100.200.300" && inbox.postal == StoreFixture.address)
        let pausedInbox = try #require(try await store.businessInbox(of: paused))
        #expect(!pausedInbox.active && pausedInbox.uid == nil)
        let feed = try await store.inboxFeed(mailbox, mode: .live, after: .start, limit: 10)
        #expect(feed.map(\.0.id.rawValue) == ["ltr_0", "ltr_2"] && feed.map(\.1.arrival) == [2, 3])
        #expect(try await store.inboxFeed(mailbox, mode: .test, after: .start, limit: 10).map(\.1.arrival) == [1])
        #expect(try await store.searchInbox(mailbox, mode: .live, query: InboxQuery(sender: "zurich", title: "grosse"), after: nil, limit: 10).count == 2)
    }
}
