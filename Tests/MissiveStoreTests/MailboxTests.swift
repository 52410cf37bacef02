import Foundation
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
}
