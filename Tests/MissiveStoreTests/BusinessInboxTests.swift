import Foundation
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore business inboxes")
struct BusinessInboxTests {
    let base = StoreFixture.base
    let profile = OrganisationProfile(
        legalName: "Empfänger AG", uid: "CHE-222.333.444",
        postal: PostalAddress(name: "Empfänger AG", street: "Seestrasse", houseNumber: "9", postcode: "8002", town: "Zürich")
    )

    func at(_ seconds: Double) -> Date { base.addingTimeInterval(seconds) }

    func verificationLetter(_ organisation: OrganisationID, at date: Date) -> VerificationLetter {
        VerificationLetter(id: .generate(at: date), organisationID: organisation, codeHash: "hash-\(date.timeIntervalSince1970)", envelopeID: nil, createdAt: date, expiresAt: date.addingTimeInterval(86_400))
    }

    /// Registers an organisation and completes its verification.
    func verifiedOrganisation(_ store: SQLiteStore, profile: OrganisationProfile? = nil) async throws -> OrganisationID {
        let id = OrganisationID.generate()
        try await store.register(id, profile: profile ?? self.profile, at: base)
        let letter = verificationLetter(id, at: base)
        try await store.addVerificationLetter(letter)
        #expect(try await store.completeVerification(letter.id, organisation: id, at: base))
        return id
    }

    func letter(to mailbox: MailboxID, from sender: String = "Absender AG", title: String? = "Rechnung", kind: EnvelopeKind = .letter, at seconds: Double, mode: Mode = .live) -> MailboxLetter {
        let date = at(seconds)
        return MailboxLetter(
            id: .generate(at: date), mailboxID: mailbox, envelopeID: .generate(at: date), organisationID: .generate(),
            senderName: sender, kind: kind, title: title, deliveredAt: date, consultedAt: nil,
            document: StoreFixture.mainDocument, attachmentCount: 0, senderUID: "CHE-999.888.777", mode: mode
        )
    }

    @Test("an inbox follows its organisation: hidden until verified, paused by a profile change under the last verified UID and address, resumed under the new ones")
    func pauseAndResume() async throws {
        try await withStore { store in
            let id = OrganisationID.generate()
            try await store.register(id, profile: profile, at: base)
            let registered = try #require(try await store.businessInbox(of: id))
            #expect(!registered.active && registered.uid == nil && registered.postal == nil)
            // A claimed, unchecked UID or address draws no letters.
            #expect(try await store.resolve(Recipient(uid: profile.uid)) == .notFound)
            #expect(try await store.resolve(Recipient(postal: profile.postal)) == .notFound)

            let first = verificationLetter(id, at: base)
            try await store.addVerificationLetter(first)
            #expect(try await store.completeVerification(first.id, organisation: id, at: base))
            let active = try #require(try await store.businessInbox(of: id))
            #expect(active.active && active.uid == profile.uid && active.postal == profile.postal && active.mailboxID == registered.mailboxID)
            let entry = try #require(try await store.resolve(Recipient(uid: profile.uid)).entry)
            #expect(entry.kind == .business && entry.verified && entry.mailboxID == registered.mailboxID && entry.id == registered.directoryEntryID)
            #expect(try await store.resolve(Recipient(postal: profile.postal)).entry?.id == entry.id)

            var moved = profile
            moved.uid = "CHE-555.666.777"
            moved.postal.town = "Bern"
            moved.postal.postcode = "3011"
            try await store.changeProfile(id, to: moved, at: at(60))
            let paused = try #require(try await store.businessInbox(of: id))
            #expect(!paused.active && paused.uid == profile.uid && paused.postal == profile.postal)
            #expect(try await store.resolve(Recipient(uid: profile.uid)).entry?.verified == false)
            #expect(try await store.resolve(Recipient(uid: moved.uid)) == .notFound)

            let second = verificationLetter(id, at: at(60))
            try await store.addVerificationLetter(second)
            #expect(try await store.completeVerification(second.id, organisation: id, at: at(60)))
            let resumed = try #require(try await store.businessInbox(of: id))
            #expect(resumed.active && resumed.uid == moved.uid && resumed.postal == moved.postal && resumed.mailboxID == registered.mailboxID)
            #expect(try await store.resolve(Recipient(uid: profile.uid)) == .notFound)
            #expect(try await store.resolve(Recipient(uid: moved.uid)).entry?.verified == true)
        }
    }

    @Test("organisations made by the operator have an active inbox; a vouched profile makes it reachable")
    func operatorOrganisations() async throws {
        try await withStore { store in
            let created = try await store.createOrganisation(name: "Alt AG", mode: .live)
            let inbox = try #require(try await store.businessInbox(of: created.organisationID))
            #expect(inbox.active && inbox.uid == nil)
            try await store.setVouchedProfile(profile, for: created.organisationID)
            #expect(try await store.businessInbox(of: created.organisationID)?.uid == profile.uid)
            #expect(try await store.organisationState(created.organisationID) == .verified)
            #expect(try await store.resolve(Recipient(uid: profile.uid)).entry?.mailboxID == inbox.mailboxID)
            #expect(try await store.businessInbox(of: .generate()) == nil)
        }
    }

    @Test("search narrows by sender and title (ignoring case and accents, wildcards literal), kind, time, unread and mode; pages by cursor")
    func search() async throws {
        try await withStore { store in
            let organisation = try await verifiedOrganisation(store)
            let mailbox = try #require(try await store.businessInbox(of: organisation)).mailboxID
            let zurich = try await store.deliver(letter(to: mailbox, from: "Stadt Zürich", title: "Steuerrechnung 2026", kind: .invoice, at: 10))
            let bank = try await store.deliver(letter(to: mailbox, from: "Bank Müller & Co", title: "Kontoauszug 100% März", kind: .notice, at: 20))
            let straße = try await store.deliver(letter(to: mailbox, from: "Großhandel GmbH", title: nil, kind: .contract, at: 30))
            let test = try await store.deliver(letter(to: mailbox, from: "Stadt Zürich", title: "Test", at: 40, mode: .test))
            func search(_ query: InboxQuery, mode: Mode = .live) async throws -> [LetterID] {
                try await store.searchInbox(mailbox, mode: mode, query: query, after: nil, limit: 50).map(\.id)
            }
            #expect(try await search(InboxQuery()) == [straße.id, bank.id, zurich.id])
            #expect(try await search(InboxQuery(sender: "ZURICH")) == [zurich.id])
            #expect(try await search(InboxQuery(sender: "mÜller &")) == [bank.id])
            #expect(try await search(InboxQuery(sender: "grosshandel")) == [straße.id])
            #expect(try await search(InboxQuery(title: "100%")) == [bank.id])
            #expect(try await search(InboxQuery(title: "100_")) == [])
            #expect(try await search(InboxQuery(title: "%")) == [bank.id])
            #expect(try await search(InboxQuery(title: "marz")) == [bank.id])
            #expect(try await search(InboxQuery(kind: .invoice)) == [zurich.id])
            #expect(try await search(InboxQuery(receivedFrom: at(20), receivedTo: at(30))) == [bank.id])
            #expect(try await search(InboxQuery(receivedFrom: at(30), receivedTo: at(20))) == [])
            #expect(try await search(InboxQuery(sender: "stadt", kind: .invoice, title: "steuer")) == [zurich.id])
            #expect(try await store.markConsulted(bank.id, at: at(50)))
            #expect(try await search(InboxQuery(unreadOnly: true)) == [straße.id, zurich.id])
            #expect(try await search(InboxQuery(), mode: .test) == [test.id])

            var seen: [LetterID] = []
            var cursor: LetterID?
            repeat {
                let page = try await store.searchInbox(mailbox, mode: .live, query: InboxQuery(), after: cursor, limit: 2)
                seen += page.map(\.id)
                cursor = page.count == 2 ? page.last?.id : nil
            } while cursor != nil
            #expect(seen == [straße.id, bank.id, zurich.id])
        }
    }

    @Test("the export feed returns every letter once in arrival order, per mailbox and mode, and an empty page keeps the cursor")
    func feed() async throws {
        try await withStore { store in
            let organisation = try await verifiedOrganisation(store)
            let mailbox = try #require(try await store.businessInbox(of: organisation)).mailboxID
            let other = try #require(try await store.businessInbox(of: try await store.createOrganisation(name: "Andere AG", mode: .live).organisationID)).mailboxID
            var placed: [LetterID] = []
            // Arrival, not delivery time or id, orders the feed: the second letter is older.
            for (index, seconds) in [50.0, 10, 30, 20, 40].enumerated() {
                placed.append(try await store.deliver(letter(to: mailbox, title: "Brief \(index)", at: seconds)).id)
                _ = try await store.deliver(letter(to: other, at: seconds))
                _ = try await store.deliver(letter(to: mailbox, at: seconds, mode: .test))
            }
            var seen: [LetterID] = []
            var cursor = InboxCursor.start
            while true {
                let page = try await store.inboxFeed(mailbox, mode: .live, after: cursor, limit: 2)
                guard let last = page.last else { break }
                seen += page.map(\.0.id)
                #expect(last.1 > cursor)
                cursor = last.1
            }
            #expect(seen == placed)
            #expect(try await store.inboxFeed(mailbox, mode: .live, after: cursor, limit: 2).isEmpty)
            let late = try await store.deliver(letter(to: mailbox, at: 1))
            #expect(try await store.inboxFeed(mailbox, mode: .live, after: cursor, limit: 2).map(\.0.id) == [late.id])
            #expect(try await store.inboxFeed(mailbox, mode: .test, after: .start, limit: 50).count == 5)
            #expect(try await store.inboxFeed(other, mode: .live, after: .start, limit: 50).count == 5)
            // A repeated delivery (at-least-once dispatch) takes no new arrival number.
            let first = try #require(try await store.letter(placed[0], in: mailbox))
            _ = try await store.deliver(letter(to: mailbox, at: 99).with(envelope: first.envelopeID))
            #expect(try await store.inboxFeed(mailbox, mode: .live, after: cursor, limit: 5).map(\.0.id) == [late.id])
        }
    }

    @Test("cursors are read strictly")
    func cursors() {
        #expect(InboxCursor(text: InboxCursor(arrival: 42).text) == InboxCursor(arrival: 42))
        for bad in ["", "ibx1-", "ibx1--1", "ibx1-1a", "ibx2-1", "ibx1-99999999999999999999", " ibx1-1", "ltr_01J"] {
            #expect(InboxCursor(text: bad) == nil, "\(bad)")
        }
    }

    @Test("another organisation's inbox shows none of this one's letters")
    func tenancy() async throws {
        try await withStore { store in
            let a = try await verifiedOrganisation(store)
            var otherProfile = profile
            otherProfile.uid = "CHE-111.111.111"
            otherProfile.postal.street = "Andere Strasse"
            let b = try await verifiedOrganisation(store, profile: otherProfile)
            let inboxA = try #require(try await store.businessInbox(of: a))
            let inboxB = try #require(try await store.businessInbox(of: b))
            #expect(inboxA.mailboxID != inboxB.mailboxID)
            let mine = try await store.deliver(letter(to: inboxA.mailboxID, at: 1))
            #expect(try await store.letter(mine.id, in: inboxB.mailboxID) == nil)
            #expect(try await store.searchInbox(inboxB.mailboxID, mode: .live, query: InboxQuery(), after: nil, limit: 50).isEmpty)
            #expect(try await store.inboxFeed(inboxB.mailboxID, mode: .live, after: .start, limit: 50).isEmpty)
        }
    }

    @Test("a live letter queues letter.received for subscriptions that list it; test letters and other subscriptions get none")
    func letterReceivedWebhook() async throws {
        try await withStore { store in
            let organisation = try await verifiedOrganisation(store)
            let mailbox = try #require(try await store.businessInbox(of: organisation)).mailboxID
            func hook(_ types: [EventType], inbox: [InboxEventType], format: WebhookFormat = .standardWebhooks) async throws -> WebhookSubscription {
                let subscription = WebhookSubscription(id: .generate(), organisationID: organisation, url: "https://erp.example/\(UUID().uuidString)", description: nil, eventTypes: types, secret: "whsec_\(UUID().uuidString)", createdAt: base, format: format, inboxEventTypes: inbox)
                try await store.createSubscription(subscription)
                return subscription
            }
            let inboxOnly = try await hook([], inbox: [.letterReceived])
            let both = try await hook([.delivered], inbox: [.letterReceived])
            let everyStatus = try await hook([], inbox: [])
            #expect(try await store.subscriptions(of: organisation).first { $0.id == both.id } == both)
            #expect(!inboxOnly.wants(.delivered) && both.wants(.delivered) && everyStatus.wants(.delivered))

            let placed = try await store.deliver(letter(to: mailbox, from: "Absender AG", title: "Vertrag", kind: .contract, at: 5))
            _ = try await store.deliver(letter(to: mailbox, at: 6, mode: .test))
            _ = try await store.deliver(placed)  // a repeat queues nothing more
            for subscription in [inboxOnly, both] {
                let deliveries = try await store.deliveries(of: subscription.id, organisation: organisation, limit: 10)
                #expect(deliveries.count == 1)
                let delivery = try #require(deliveries.first)
                #expect(delivery.eventType == "letter.received" && delivery.eventID == nil)
                let body = try #require(try JSONSerialization.jsonObject(with: delivery.payload) as? [String: Any])
                let data = try #require(body["data"] as? [String: Any])
                #expect(body["type"] as? String == "letter.received")
                #expect(data["letterId"] as? String == placed.id.rawValue && data["kind"] as? String == "contract" && data["title"] as? String == "Vertrag")
                #expect((data["sender"] as? [String: Any])?["name"] as? String == "Absender AG")
                #expect(data["receivedAt"] as? String == Timestamp.string(placed.deliveredAt))
            }
            #expect(try await store.deliveries(of: everyStatus.id, organisation: organisation, limit: 10).isEmpty)
        }
    }
}

extension MailboxLetter {
    func with(envelope: EnvelopeID) -> MailboxLetter {
        var copy = self
        copy.envelopeID = envelope
        return copy
    }
}
