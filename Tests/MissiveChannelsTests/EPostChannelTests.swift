import Crypto
import Foundation
import MissiveChannels
import MissiveCore
import Testing

@Suite("ePost channel")
struct EPostChannelTests {
    let blobs = InMemoryBlobStore()
    let mailbox = MailboxID.generate()

    func entry(mailbox: MailboxID?, verified: Bool = true, optedOut: Bool = false) -> DirectoryEntry {
        DirectoryEntry(kind: .private, postal: Fixture.address, mailboxID: mailbox, verified: verified, optedOut: optedOut)
    }

    @Test("places the main document in the recipient's mailbox under the organisation's name")
    func delivers() async throws {
        let store = InMemoryMailboxStore(names: [Fixture.organisation: "Stadtwerke Beispiel"])
        let main = blobs.put("%PDF-main", key: "main")
        let attachment = blobs.put("%PDF-att", key: "att", role: .attachment)
        let envelope = Fixture.envelope(recipient: Recipient(postal: Fixture.address), documents: [main, attachment])
        let channel = EPostChannel(mailboxes: store, blobs: blobs, clock: OffsetWallClock(base: { Date(timeIntervalSince1970: 1_800_000_000) }))

        let outcome = try await channel.deliver(envelope, entry: entry(mailbox: mailbox))

        let letters = store.all
        try #require(letters.count == 1)
        let letter = letters[0]
        #expect(outcome == .delivered(detail: ["letterId": letter.id.rawValue]))
        #expect(letter.id.rawValue.hasPrefix("ltr_"))
        #expect(letter.mailboxID == mailbox)
        #expect(letter.envelopeID == envelope.id)
        #expect(letter.senderName == "Stadtwerke Beispiel")
        #expect(letter.title == "Invoice 42")
        #expect(letter.document == main)
        #expect(letter.attachmentCount == 1)
        #expect(letter.deliveredAt == Date(timeIntervalSince1970: 1_800_000_000))
        #expect(letter.consultedAt == nil)
        // The document's key is wrapped for the mailbox's own key, which opens it.
        let wrapped = try #require(letter.documentKey)
        let mailboxKey = try #require(try await store.decryptionKey(for: mailbox))
        #expect(wrapped == InMemoryBlobStore.wrap("main", mailboxKey.publicKey))
        #expect(try await blobs.read("main", wrappedKey: wrapped, recipientKey: mailboxKey) == Data("%PDF-main".utf8))
    }

    @Test("falls back to the organisation id when it has no display name")
    func senderNameFallback() async throws {
        let store = InMemoryMailboxStore()
        let envelope = Fixture.envelope(recipient: Recipient(postal: Fixture.address), documents: [blobs.put("%PDF", key: "m")])
        _ = try await EPostChannel(mailboxes: store, blobs: blobs).deliver(envelope, entry: entry(mailbox: mailbox))
        #expect(store.all.first?.senderName == Fixture.organisation.rawValue)
    }

    @Test("a repeated dispatch reports the letter placed first")
    func idempotent() async throws {
        let store = InMemoryMailboxStore()
        let channel = EPostChannel(mailboxes: store, blobs: blobs)
        let envelope = Fixture.envelope(recipient: Recipient(postal: Fixture.address), documents: [blobs.put("%PDF", key: "m")])
        let first = try await channel.deliver(envelope, entry: entry(mailbox: mailbox))
        let second = try await channel.deliver(envelope, entry: entry(mailbox: mailbox))
        #expect(first == second)
        #expect(store.all.count == 1)
    }

    @Test("refuses without a mailbox", arguments: [false, true])
    func noMailbox(withEntry: Bool) async throws {
        let store = InMemoryMailboxStore()
        let envelope = Fixture.envelope(recipient: Recipient(postal: Fixture.address), documents: [blobs.put("%PDF", key: "m")])
        let outcome = try await EPostChannel(mailboxes: store, blobs: blobs).deliver(envelope, entry: withEntry ? entry(mailbox: nil) : nil)
        guard case .refused(let reason) = outcome else {
            Issue.record("expected a refusal, got \(outcome)")
            return
        }
        #expect(reason.code == "no_mailbox")
        #expect(store.all.isEmpty)
    }

    @Test("refuses a mailbox that was closed or is unverified")
    func closedMailbox() async throws {
        let store = InMemoryMailboxStore()
        let envelope = Fixture.envelope(recipient: Recipient(postal: Fixture.address), documents: [blobs.put("%PDF", key: "m")])
        for closed in [entry(mailbox: mailbox, optedOut: true), entry(mailbox: mailbox, verified: false)] {
            let outcome = try await EPostChannel(mailboxes: store, blobs: blobs).deliver(envelope, entry: closed)
            #expect(outcome == .refused(Reason(code: "mailbox_closed", text: "The recipient's ePost mailbox does not accept letters.")))
        }
        #expect(store.all.isEmpty)
    }
}
