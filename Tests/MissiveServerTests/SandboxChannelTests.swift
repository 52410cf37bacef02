import Foundation
import Testing

/// Every sandbox recipient, over real HTTP, to its terminal state.
@Suite("Sandbox channels end to end")
struct SandboxChannelTests {
    @Test("digital: delivered, then consulted when the recipient downloads it")
    func digitalLetterIsConsulted() async throws {
        try await withHub { hub in
            let recipient = try hub.recipient("digital")
            let mailboxKey = try #require(recipient.mailboxKey)
            let document = SamplePDF.make(note: "for Anna")
            let accepted = try await hub.send(["recipient": recipient.recipient, "title": "Your contract"], document: document)
            let id = try #require(accepted["id"]?.string)
            #expect(accepted["status"]?.string == "accepted")

            let delivered = try await hub.waitForEvent("delivered", of: id)
            #expect(delivered.compactMap { $0["type"]?.string } == ["accepted", "routed", "delivered"])
            #expect(delivered.last?["channel"]?.string == "epost")

            let letters = try await hub.get("/v1/mailbox/letters", as: .bearer(mailboxKey))["items"]?.array ?? []
            let letter = try #require(letters.first { $0["title"]?.string == "Your contract" })
            let letterID = try #require(letter["id"]?.string)
            #expect(letter["consultedAt"] == nil)
            #expect(letter["document"]?["byteSize"]?.int == document.count)

            let download = try await hub.request(.GET, "/v1/mailbox/letters/\(letterID)/document", as: .bearer(mailboxKey))
            #expect(download.status == 200)
            #expect(download.mediaType == "application/pdf")
            #expect(download.body == document)

            let events = try await hub.waitForEvent("consulted", of: id)
            #expect(events.compactMap { $0["type"]?.string } == ["accepted", "routed", "delivered", "consulted"])
            #expect(events.last?["channel"]?.string == "epost")
            #expect(try await hub.envelope(id)["status"]?.string == "consulted")
            let reread = try await hub.get("/v1/mailbox/letters/\(letterID)", as: .bearer(mailboxKey))
            #expect(reread["consultedAt"]?.string != nil)

            // A second download is the same document and records nothing new.
            let again = try await hub.request(.GET, "/v1/mailbox/letters/\(letterID)/document", as: .bearer(mailboxKey))
            #expect(again.body == document)
            #expect(try await hub.eventTypes(of: id).filter { $0 == "consulted" }.count == 1)
        }
    }

    @Test("digital-never-opens: delivered, then not_consulted once the clock passes 7 days")
    func unopenedLetterIsNotConsulted() async throws {
        try await withHub { hub in
            let id = try await hub.send(to: "digital-never-opens")
            try await hub.waitForEvent("delivered", of: id)
            #expect(try await hub.envelope(id)["status"]?.string == "delivered")

            let moved = try await hub.post("/v1/sandbox/clock", json: ["seconds": 691_200])
            #expect(moved.status == 200)
            #expect(try moved.json()["offsetSeconds"]?.int == 691_200)

            let events = try await hub.waitForEvent("not_consulted", of: id)
            #expect(events.compactMap { $0["type"]?.string } == ["accepted", "routed", "delivered", "not_consulted"])
            #expect(events.last?["channel"]?.string == "epost")
            #expect(try await hub.envelope(id)["status"]?.string == "not_consulted")

            // Opened late, the letter is still consulted.
            let mailboxKey = try #require(try hub.recipient("digital-never-opens").mailboxKey)
            let letters = try await hub.get("/v1/mailbox/letters?unread=true", as: .bearer(mailboxKey))["items"]?.array ?? []
            let letterID = try #require(letters.first?["id"]?.string)
            #expect(try await hub.request(.GET, "/v1/mailbox/letters/\(letterID)/document", as: .bearer(mailboxKey)).status == 200)
            let late = try await hub.waitForEvent("consulted", of: id)
            #expect(late.compactMap { $0["type"]?.string } == ["accepted", "routed", "delivered", "not_consulted", "consulted"])
        }
    }

    @Test("ebill: an invoice is delivered on the eBill channel")
    func invoiceIsDeliveredByEBill() async throws {
        try await withHub { hub in
            let id = try await hub.send(to: "ebill", extra: [
                "kind": "invoice", "invoice": ["amount": "120.50", "currency": "CHF"],
            ])
            let events = try await hub.waitForEvent("delivered", of: id)
            #expect(events.compactMap { $0["type"]?.string } == ["accepted", "routed", "delivered"])
            #expect(events.last?["channel"]?.string == "ebill")
            let envelope = try await hub.envelope(id)
            #expect(envelope["status"]?.string == "delivered")
            #expect(envelope["channel"]?.string == "ebill")
            #expect(envelope["kind"]?.string == "invoice")
            #expect(envelope["invoice"]?["amount"]?.string == "120.50")
        }
    }

    @Test("physical: printed, then posted")
    func physicalLetterIsPosted() async throws {
        try await withHub { hub in
            let id = try await hub.send(to: "physical")
            let events = try await hub.waitForEvent("posted", of: id)
            #expect(events.compactMap { $0["type"]?.string } == ["accepted", "routed", "printed", "posted"])
            #expect(events.dropFirst().allSatisfy { $0["channel"]?.string == "physical" })
            let envelope = try await hub.envelope(id)
            #expect(envelope["status"]?.string == "posted")
            #expect(envelope["channel"]?.string == "physical")
        }
    }

    @Test("physical-returned: printed, posted, then returned")
    func physicalLetterIsReturned() async throws {
        try await withHub { hub in
            let id = try await hub.send(to: "physical-returned")
            let events = try await hub.waitForEvent("returned", of: id)
            #expect(events.compactMap { $0["type"]?.string } == ["accepted", "routed", "printed", "posted", "returned"])
            #expect(events.last?["channel"]?.string == "physical")
            #expect(events.last?["reason"]?["code"]?.string != nil)
            #expect(try await hub.envelope(id)["status"]?.string == "returned")
        }
    }

    @Test("unreachable: failed with reason unreachable")
    func unreachableRecipientFails() async throws {
        try await withHub { hub in
            let id = try await hub.send(to: "unreachable")
            let events = try await hub.waitForEvent("failed", of: id)
            #expect(events.first?["type"]?.string == "accepted")
            #expect(events.last?["type"]?.string == "failed")
            #expect(events.last?["reason"]?["code"]?.string == "unreachable")
            let envelope = try await hub.envelope(id)
            #expect(envelope["status"]?.string == "failed")
            #expect(envelope["statusReason"]?["code"]?.string == "unreachable")
        }
    }
}
