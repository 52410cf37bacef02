import Crypto
import Foundation
import GRDB
import Logging
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore mailboxes")
struct MailboxTests {
    let mailbox = MailboxID.generate()
    let org = OrganisationID.generate()
    let base = StoreFixture.base

    func letter(in mailbox: MailboxID? = nil, at seconds: Double, envelope: EnvelopeID = .generate()) -> MailboxLetter {
        let at = base.addingTimeInterval(seconds)
        return MailboxLetter(
            id: .generate(at: at), mailboxID: mailbox ?? self.mailbox, envelopeID: envelope, organisationID: org,
            senderName: "Beispiel AG", kind: .invoice, title: "Invoice \(Int(seconds))", deliveredAt: at, consultedAt: nil,
            document: StoreFixture.mainDocument, attachmentCount: 1
        )
    }

    @Test("deliver is idempotent per envelope")
    func deliverIdempotent() async throws {
        try await withStore { store throws in
            let first = letter(at: 1)
            #expect(try await store.deliver(first) == first)
            let repeated = letter(at: 2, envelope: first.envelopeID)
            #expect(try await store.deliver(repeated) == first)
            #expect(try await store.letters(in: mailbox, unreadOnly: false, after: nil, limit: 10) == [first])
            #expect(try await store.letter(repeated.id, in: mailbox) == nil)
        }
    }

    @Test("letters are listed newest first with cursor paging and an unread filter")
    func paging() async throws {
        try await withStore { store in
            var letters: [MailboxLetter] = []
            for i in 0..<7 { letters.append(try await store.deliver(letter(at: Double(i)))) }
            _ = try await store.deliver(letter(in: .generate(), at: 100))
            let newestFirst = letters.reversed().map(\.id)
            #expect(try await store.letters(in: mailbox, unreadOnly: false, after: nil, limit: 100).map(\.id) == newestFirst)

            var seen: [LetterID] = []
            var cursor: LetterID?
            while true {
                let page = try await store.letters(in: mailbox, unreadOnly: false, after: cursor, limit: 3)
                #expect(page.count <= 3)
                guard let last = page.last else { break }
                seen += page.map(\.id)
                cursor = last.id
            }
            #expect(seen == newestFirst)

            for index in [1, 4, 5] { #expect(try await store.markConsulted(letters[index].id, at: base.addingTimeInterval(50))) }
            let unread = try await store.letters(in: mailbox, unreadOnly: true, after: nil, limit: 100).map(\.id)
            #expect(unread == [6, 3, 2, 0].map { letters[$0].id })
            #expect(try await store.letters(in: mailbox, unreadOnly: true, after: letters[3].id, limit: 100).map(\.id) == [letters[2].id, letters[0].id])
        }
    }

    @Test("markConsulted answers true once, then false, and keeps the first time")
    func markConsulted() async throws {
        try await withStore { store in
            let delivered = try await store.deliver(letter(at: 1))
            #expect(try await store.markConsulted(delivered.id, at: base.addingTimeInterval(10)))
            #expect(try await store.markConsulted(delivered.id, at: base.addingTimeInterval(20)) == false)
            #expect(try await store.letter(delivered.id, in: mailbox)?.consultedAt == base.addingTimeInterval(10))
            #expect(try await store.markConsulted(.generate(), at: base) == false)
        }
    }

    @Test("a letter of another mailbox is invisible")
    func otherMailbox() async throws {
        try await withStore { store in
            let mine = try await store.deliver(letter(at: 1))
            let other = MailboxID.generate()
            #expect(try await store.letter(mine.id, in: mailbox) == mine)
            #expect(try await store.letter(mine.id, in: other) == nil)
            #expect(try await store.letters(in: other, unreadOnly: false, after: nil, limit: 10).isEmpty)
        }
    }

    @Test("the sender's display name comes from the organisation")
    func organisationName() async throws {
        try await withStore { store in
            let created = try await store.createOrganisation(name: "Gemeinde Musterdorf", mode: .live)
            #expect(try await store.organisationName(created.organisationID) == "Gemeinde Musterdorf")
            #expect(try await store.organisationName(.generate()) == nil)
        }
    }

    @Test("a letter keeps its wrapped document key")
    func documentKey() async throws {
        try await withStore { store in
            var wrapped = letter(at: 1)
            wrapped.documentKey = Data((0..<81).map { UInt8($0) })
            #expect(try await store.deliver(wrapped) == wrapped)
            #expect(try await store.letter(wrapped.id, in: mailbox)?.documentKey == wrapped.documentKey)
            let plain = try await store.deliver(letter(at: 2))
            #expect(try await store.letter(plain.id, in: mailbox)?.documentKey == nil)
        }
    }

    @Test("a mailbox's key pair is made once; its private key is sealed with the secrets key")
    func mailboxKeys() async throws {
        let folder = try StoreFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("missive.sqlite").path
        let store = try StoreFixture.openStore(path: path)
        #expect(try await store.decryptionKey(for: mailbox) == nil)
        let first = try await store.encryptionKey(for: mailbox)
        #expect(try await store.encryptionKey(for: mailbox).rawRepresentation == first.rawRepresentation)
        let privateKey = try #require(try await store.decryptionKey(for: mailbox))
        #expect(privateKey.publicKey.rawRepresentation == first.rawRepresentation)
        #expect(try await store.encryptionKey(for: .generate()).rawRepresentation != first.rawRepresentation)
        // The database holds the public key and a sealed private key, never the private key itself.
        let row = try #require(try await store.database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT public_key, private_key_sealed FROM mailbox_encryption_keys WHERE mailbox_id = ?", arguments: [mailbox.rawValue])
        })
        let sealed: Data = row["private_key_sealed"]
        #expect(sealed.range(of: privateKey.rawRepresentation) == nil)
        #expect(sealed.range(of: Data(privateKey.rawRepresentation.base64EncodedString().utf8)) == nil)
        // Another secrets key cannot unseal it.
        let stranger = SQLiteStore(database: store.database, sealer: .ephemeral(), logger: .init(label: "test"))
        await expectMissiveError(.unavailable) { _ = try await stranger.decryptionKey(for: mailbox) }
    }

    @Test("concurrent first deliveries to a new mailbox agree on one key pair")
    func concurrentKeyPairs() async throws {
        try await withStore { store in
            let keys = try await withThrowingTaskGroup(of: Data.self) { group in
                for _ in 0..<8 { group.addTask { try await store.encryptionKey(for: mailbox).rawRepresentation } }
                var keys: Set<Data> = []
                for try await key in group { keys.insert(key) }
                return keys
            }
            #expect(keys.count == 1)
            #expect(try await store.decryptionKey(for: mailbox)?.publicKey.rawRepresentation == keys.first)
        }
    }
}
