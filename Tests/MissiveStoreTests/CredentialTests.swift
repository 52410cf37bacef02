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
            #expect(principal == .organisation(created.organisationID, key: created.keyID, mode: mode, roles: .all))
            #expect(try await store.organisationName(created.organisationID) == "Beispiel AG")
            #expect(try await store.organisations().map(\.0) == [created.organisationID])
        }
    }

    @Test("secrets are stored as hashes and sealed, never in plaintext")
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
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(secret)) == .organisation(created.organisationID, key: keyID, mode: .live, roles: .all))
            #expect(try await store.revokeAPIKey(keyID))
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(secret)) == nil)
            #expect(try await store.revokeAPIKey(keyID) == false)
            #expect(try await store.revokeAPIKey(.generate()) == false)
            // The first key is untouched.
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(created.apiKey)) == .organisation(created.organisationID, key: created.keyID, mode: .test, roles: .all))
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

    @Test("digest credentials are the active keys' secrets, opened from their sealed form")
    func digestCredentials() async throws {
        try await withStore { store in
            let created = try await store.createOrganisation(name: "Beispiel AG", mode: .test)
            let (second, secret) = try await store.createAPIKey(organisation: created.organisationID, mode: .live, name: "ERP")
            let other = try await store.createOrganisation(name: "Andere AG", mode: .test)
            var credentials = try await store.digestCredentials(of: created.organisationID)
            #expect(Set(credentials.map(\.secret)) == [created.apiKey, secret])
            #expect(credentials.first { $0.key == second }?.mode == .live)
            #expect(try await store.digestCredentials(of: other.organisationID).map(\.secret) == [other.apiKey])

            _ = try await store.revokeAPIKey(second)
            credentials = try await store.digestCredentials(of: created.organisationID)
            #expect(credentials.map(\.key) == [created.keyID])

            // A sealed secret moved onto another key's row does not open (the key id is bound in).
            try await store.database.pool.write { db in
                try db.execute(sql: "UPDATE api_keys SET secret_sealed = (SELECT secret_sealed FROM api_keys WHERE id = ?) WHERE id = ?", arguments: [other.keyID.rawValue, created.keyID.rawValue])
            }
            #expect(try await store.digestCredentials(of: created.organisationID).isEmpty)
        }
    }

    @Test("a WS-Security nonce is accepted once per organisation until it expires")
    func nonces() async throws {
        try await withStore { store in
            let a = OrganisationID.generate()
            let b = OrganisationID.generate()
            let now = StoreFixture.base
            #expect(try await store.claimNonce("bm9uY2U=", organisation: a, expiresAt: now.addingTimeInterval(600), now: now))
            #expect(try await store.claimNonce("bm9uY2U=", organisation: a, expiresAt: now.addingTimeInterval(600), now: now.addingTimeInterval(599)) == false)
            #expect(try await store.claimNonce("bm9uY2U=", organisation: b, expiresAt: now.addingTimeInterval(600), now: now))
            // Expired nonces are pruned; by then the Created window refuses the old message anyway.
            #expect(try await store.claimNonce("bm9uY2U=", organisation: a, expiresAt: now.addingTimeInterval(1300), now: now.addingTimeInterval(700)))
            let left = try await store.database.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM wsse_nonces") }
            #expect(left == 1)
        }
    }

    @Test("the secrets key file is created once, owner-only, and read back by the next opener")
    func secretsKeyFile() async throws {
        let folder = try StoreFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("keys/secrets.key").path
        let first = try SecretsKeyFile.load(at: path)
        let sealed = try first.seal("mk_test_secret", context: "key_1")
        let second = try SecretsKeyFile.load(at: path)
        #expect(second.open(sealed, context: "key_1") == "mk_test_secret")
        #expect(second.open(sealed, context: "key_2") == nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("keys").path) == ["secrets.key"])

        try Data("not a key".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: MissiveError.self) { _ = try SecretsKeyFile.load(at: path) }
    }
}
