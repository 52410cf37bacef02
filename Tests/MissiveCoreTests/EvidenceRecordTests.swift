import Foundation
import MissiveCore
import Testing

@Suite("Evidence records")
struct EvidenceRecordTests {
    static let at = Date(timeIntervalSince1970: 1_780_000_000.123)

    static func envelope(recipient: Recipient = Recipient(postal: PostalAddress(name: "Anna Muster", street: "Bahnhofstrasse", houseNumber: "1", postcode: "8001", town: "Zürich"))) -> Envelope {
        Envelope(
            id: EnvelopeID(unchecked: "env_01KB0000000000000000000001"), organisationID: OrganisationID(unchecked: "org_01KB0000000000000000000001"),
            principal: "key_1", mode: .test, ingress: .rest, ingressReference: nil, kind: .letter, title: "Vertrag", reference: nil,
            recipient: recipient,
            documents: [
                DocumentRef(role: .main, filename: "a.pdf", mediaType: "application/pdf", byteSize: 1234, sha256: String(repeating: "ab", count: 32), pageCount: 1, storageKey: "k1"),
                DocumentRef(role: .attachment, filename: "b.pdf", mediaType: "application/pdf", byteSize: 99, sha256: String(repeating: "cd", count: 32), pageCount: 1, storageKey: "k2"),
            ],
            policy: ChannelPolicy(), print: PrintOptions(), invoice: nil, channel: .ePost, createdAt: at
        )
    }

    static func event(_ type: EventType, reason: Reason? = nil) -> StatusEvent {
        StatusEvent(id: EventID(unchecked: "evt_01KB0000000000000000000001"), envelopeID: envelope().id, organisationID: envelope().organisationID, type: type, at: at, channel: type == .accepted ? nil : .ePost, reason: reason)
    }

    @Test("the four legal events, rejection and posting map to ETSI EN 319 522 names; the rest need no record")
    func mapping() {
        #expect(EvidenceRecord.Event(.accepted) == .submissionAcceptance)
        #expect(EvidenceRecord.Event(.rejected) == .submissionRejection)
        #expect(EvidenceRecord.Event(.delivered) == .contentConsignment)
        #expect(EvidenceRecord.Event(.posted) == .contentConsignment)
        #expect(EvidenceRecord.Event(.consulted) == .contentHandover)
        #expect(EvidenceRecord.Event(.notConsulted) == .contentHandoverFailure)
        for none in [EnvelopeStatus.routed, .printed, .returned, .failed, .cancelled] { #expect(EvidenceRecord.Event(none) == nil) }
        #expect(EvidenceRecord(for: Self.event(.routed), of: Self.envelope(), senderName: "Beispiel AG", recipientID: nil, issuer: "missive") == nil)
    }

    @Test("a record names the envelope, event, parties and every document's SHA-256")
    func contents() throws {
        let record = try #require(EvidenceRecord(for: Self.event(.delivered), of: Self.envelope(), senderName: "Beispiel AG", recipientID: "rcp_01KB0000000000000000000001", issuer: "missive.example"))
        #expect(record.event == .contentConsignment)
        #expect(record.evidenceId.rawValue.hasPrefix("evd_"))
        #expect(record.sender == EvidenceRecord.Party(id: "org_01KB0000000000000000000001", name: "Beispiel AG"))
        #expect(record.recipient.address == "postal:Anna Muster, 8001 Zürich")
        #expect(record.documents.map(\.sha256) == [String(repeating: "ab", count: 32), String(repeating: "cd", count: 32)])
        #expect(record.documents.map(\.role) == ["main", "attachment"])
        #expect(record.channel == .ePost)
        let epost = try #require(EvidenceRecord(for: Self.event(.accepted), of: Self.envelope(recipient: Recipient(ePostAddress: "anna@epost.example")), senderName: nil, recipientID: nil, issuer: "m"))
        #expect(epost.recipient.address == "epost:anna@epost.example")
        #expect(epost.channel == nil)
    }

    @Test("canonical JSON: sorted keys, RFC 3339 UTC with milliseconds, identical for equal records, and it reads back")
    func canonical() throws {
        let record = try #require(EvidenceRecord(for: Self.event(.notConsulted, reason: Reason(code: "not_opened", text: "Not opened within 7 days.")), of: Self.envelope(), senderName: "Beispiel AG", recipientID: nil, issuer: "missive.example"))
        let json = record.canonicalJSON
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.hasPrefix("{\"channel\":\"epost\",\"documents\":["))
        #expect(text.contains("\"event\":\"ContentHandoverFailure\""))
        #expect(text.contains("\"eventTime\":\"2026-05-28T20:26:40.123Z\""))
        #expect(!text.contains(" : ") && !text.contains("\n"))
        #expect(record.canonicalJSON == json)
        let read = try EvidenceRecord.decode(json)
        #expect(read == record)
        #expect(read.canonicalJSON == json)
    }

    @Test("timestamps round to the millisecond and survive any number of round trips")
    func timestamps() throws {
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1_780_000_000.123)) == "2026-05-28T20:26:40.123Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1_780_000_000.9996)) == "2026-05-28T20:26:41.000Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1000 {
            let date = Date(timeIntervalSince1970: Double(generator.next(upperBound: UInt64(4_000_000_000_000))) / 1000)
            let text = Timestamp.string(date)
            let again = Timestamp.string(try #require(Timestamp.parse(text)))
            #expect(again == text)
        }
    }
}
