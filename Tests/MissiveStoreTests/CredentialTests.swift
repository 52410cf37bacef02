import Foundation
import GRDB
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore credentials")
struct CredentialTests {
    @Test("a new organisation's first key authenticates as that organisation", arguments: [Mode.test, .live])
    func organisationKey(_ mode: Mode) async throws {
        try await withStore { store in
            let created = try await store.createOrganisation(name: "Beispiel AG", mode: mode)
            #expect(created.apiKey.hasPrefix(mode == .test ? "mk_test_" : "mk_live_"))
            let principal = try await store.principal(forSecretHash: BearerSecret.hash(created.apiKey))
            #expect(principal == .organisation(created.organisationID, key: created.keyID, mode: mode))
            #expect(try await store.organisationName(created.organisationID) == "Beispiel AG")
            #expect(try await store.organisations().map(\.0) == [created.organisationID])
        }
    }

    @Test("secrets are stored only as hashes")
    func onlyHashes() async throws {
        try await withStore { store in
            let created = try await store.createOrganisation(name: "Beispiel AG", mode: .live)
            #expect(try await store.principal(forSecretHash: created.apiKey) == nil)
            #expect(try await store.principal(forSecretHash: BearerSecret.hash("mk_live_guess")) == nil)
            let dump = try await store.database.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM api_keys").flatMap { row in row.databaseValues.compactMap { String.fromDatabaseValue($0) } }
            }
            #expect(!dump.isEmpty)
            #expect(!dump.contains { $0.contains(created.apiKey) })
        }
    }

    @Test("more keys can be minted; a revoked key no longer authenticates")
    func revocation() async throws {
        try await withStore { store in
            let created = try await store.createOrganisation(name: "Beispiel AG", mode: .test)
            let (keyID, secret) = try await store.createAPIKey(organisation: created.organisationID, mode: .live, name: "ERP")
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(secret)) == .organisation(created.organisationID, key: keyID, mode: .live))
            #expect(try await store.revokeAPIKey(keyID))
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(secret)) == nil)
            #expect(try await store.revokeAPIKey(keyID) == false)
            #expect(try await store.revokeAPIKey(.generate()) == false)
            // The first key is untouched.
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(created.apiKey)) == .organisation(created.organisationID, key: created.keyID, mode: .test))
        }
    }

    @Test("minting a key for an unknown organisation is refused")
    func unknownOrganisation() async throws {
        try await withStore { store in
            await expectMissiveError(.notFound) { _ = try await store.createAPIKey(organisation: .generate(), mode: .live, name: nil) }
        }
    }

    @Test("touch records when a key was last used")
    func touch() async throws {
        try await withStore { store in
            let created = try await store.createOrganisation(name: "Beispiel AG", mode: .test)
            try await store.touch(created.keyID, at: StoreFixture.base)
            let lastUsed = try await store.database.pool.read { db in
                try Double.fetchOne(db, sql: "SELECT last_used_at FROM api_keys WHERE id = ?", arguments: [created.keyID.rawValue])
            }
            #expect(lastUsed == StoreFixture.base.timeIntervalSince1970)
        }
    }

    @Test("createMailbox links a mailbox to the entry and mints a mailbox key")
    func mailboxKeys() async throws {
        try await withStore { store in
            let entry = DirectoryEntry(kind: .private, postal: StoreFixture.address, ePostAddress: "anna@epost.example")
            let (mailbox, secret) = try await store.createMailbox(for: entry)
            #expect(secret.hasPrefix("mbk_"))
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(secret)) == .mailbox(mailbox))
            let linked = try #require(try await store.entry(forMailbox: mailbox))
            #expect(linked.id == entry.id)
            #expect(try await store.resolve(Recipient(ePostAddress: "ANNA@epost.example")).entry?.mailboxID == mailbox)

            // A second key for the same entry opens the same mailbox; both keys work.
            let (again, second) = try await store.createMailbox(for: linked)
            #expect(again == mailbox)
            #expect(second != secret)
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(second)) == .mailbox(mailbox))
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(secret)) == .mailbox(mailbox))
            #expect(try await store.directoryEntries().count == 1)
        }
    }
}
