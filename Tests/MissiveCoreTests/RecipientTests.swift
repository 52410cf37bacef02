import MissiveCore
import Testing

@Suite("Recipient")
struct RecipientTests {
    static let postal = PostalAddress(name: "Anna Muster", street: "Bahnhofstrasse", houseNumber: "1", postcode: "8001", town: "Zürich")

    @Test("an empty recipient is refused")
    func empty() {
        #expect(Recipient().isEmpty)
        let error = #expect(throws: MissiveError.self) { try Recipient().validate() }
        #expect(error?.code == .invalidField)
        #expect(error?.pointer == "/recipient")
    }

    @Test("any one way to find the recipient is enough", arguments: [
        Recipient(ePostAddress: "anna@epost.example"),
        Recipient(uid: "CHE-123.456.789"),
        Recipient(eBillID: "41100000000000017"),
        Recipient(postal: postal),
        Recipient(ePostAddress: "a.b+c@mail.epost.ch", uid: "CHE-000.000.000", eBillID: "00000000000000000", postal: postal),
    ])
    func valid(_ recipient: Recipient) throws {
        #expect(!recipient.isEmpty)
        try recipient.validate()
    }

    @Test("UID must look like CHE-123.456.789", arguments: [
        "CHE123456789", "CHE-123456789", "che-123.456.789", "CHE-123.456.78", "CHE-123.456.7890", "CHE-123-456-789",
        "CHE-12a.456.789", "CHE-123.456.789 ", " CHE-123.456.789", "CHE-123.456.789 MWST", "CHF-123.456.789", "CHE-１２３.456.789", "",
    ])
    func invalidUID(_ uid: String) {
        let error = #expect(throws: MissiveError.self) { try Recipient(uid: uid).validate() }
        #expect(error?.code == .invalidField)
        #expect(error?.pointer == "/recipient/uid")
    }

    @Test("eBill id must be 17 ASCII digits", arguments: [
        "4110000000000001", "411000000000000170", "4110000000000001a", "41100000000000 17", "", "４１１００００００００００００１７", "-4110000000000001",
    ])
    func invalidEBillID(_ id: String) {
        let error = #expect(throws: MissiveError.self) { try Recipient(eBillID: id).validate() }
        #expect(error?.code == .invalidField)
        #expect(error?.pointer == "/recipient/eBillId")
    }

    @Test("ePost address must be a mailbox address", arguments: [
        "anna", "anna@", "@epost.example", "anna@epost", "anna@@epost.example", "an na@epost.example", "anna@epost.example\n",
        "anna@b@epost.example", "", "@.", String(repeating: "a", count: 250) + "@e.ch",
    ])
    func invalidEPostAddress(_ address: String) {
        let error = #expect(throws: MissiveError.self) { try Recipient(ePostAddress: address).validate() }
        #expect(error?.code == .invalidField)
        #expect(error?.pointer == "/recipient/ePostAddress")
    }

    @Test("the domain of an ePost address needs labels around its dots", arguments: ["a@.", "anna@epost.", "anna@.example", "anna@epost..example", "anna@..", "anna@epost.example."])
    func emptyDomainLabels(_ address: String) {
        #expect(!Recipient.isPlausibleMailboxAddress(address))
        let error = #expect(throws: MissiveError.self) { try Recipient(ePostAddress: address).validate() }
        #expect(error?.code == .invalidField)
        #expect(error?.pointer == "/recipient/ePostAddress")
    }

    @Test("control characters and whitespace anywhere make an ePost address implausible", arguments: [
        "anna@epost.example\u{0}", "an\u{7}na@epost.example", "anna@epost.ex\u{85}ample", "anna@epost.ex\u{9B}ample", "anna@epost.example\u{7F}",
        "anna\t@epost.example", "anna@epost.\u{00A0}example", "anna@epost.example\r",
    ])
    func controlCharacters(_ address: String) {
        #expect(!Recipient.isPlausibleMailboxAddress(address))
        #expect(throws: MissiveError.self) { try Recipient(ePostAddress: address).validate() }
    }

    @Test("plausible ePost addresses: two or more non-empty labels", arguments: ["a@b.c", "anna@epost.example", "anna.muster@mail.epost.ch", "x@a.b.c.d"])
    func plausibleAddresses(_ address: String) throws {
        #expect(Recipient.isPlausibleMailboxAddress(address))
        try Recipient(ePostAddress: address).validate()
    }

    @Test("an invalid postal address makes the recipient invalid")
    func invalidPostal() {
        var postal = Self.postal
        postal.postcode = "123"
        let error = #expect(throws: MissiveError.self) { try Recipient(uid: "CHE-123.456.789", postal: postal).validate() }
        #expect(error?.pointer == "/recipient/postal/postcode")
    }

    @Test("isEBillAddressOnly is true only for an eBill id alone")
    func eBillAddressOnly() {
        #expect(Recipient(eBillID: "41100000000000017").isEBillAddressOnly)
        #expect(!Recipient(eBillID: "41100000000000017", postal: Self.postal).isEBillAddressOnly)
        #expect(!Recipient(uid: "CHE-123.456.789", eBillID: "41100000000000017").isEBillAddressOnly)
        #expect(!Recipient(ePostAddress: "a@b.ch", eBillID: "41100000000000017").isEBillAddressOnly)
        #expect(!Recipient(uid: "CHE-123.456.789").isEBillAddressOnly)
    }
}
