import MissiveCore
import Testing

@Suite("PostalAddress")
struct PostalAddressTests {
    static func address(name: String = "Anna Muster", street: String = "Bahnhofstrasse", number: String? = "12", postcode: String = "8001", town: String = "Zürich", country: String = "CH") -> PostalAddress {
        PostalAddress(name: name, street: street, houseNumber: number, postcode: postcode, town: town, country: country)
    }

    // MARK: matchKey

    @Test("the same street written differently has one key", arguments: [
        "Bahnhofstrasse", "Bahnhofstr.", "Bahnhofstr", "Bahnhofstraße", "BAHNHOFSTRASSE", "bahnhofstrasse",
        "Bahnhof-Strasse", "Bahnhof Strasse", "Bahnhof Str.", "  Bahnhofstrasse  ", "Bahnhof\tstrasse", "BAHNHOFSTRAẞE",
    ])
    func streetSpellings(_ street: String) {
        #expect(Self.address(street: street).matchKey == Self.address().matchKey)
    }

    @Test("case, accents, punctuation and whitespace in the name do not matter", arguments: [
        "Anna Muster", "ANNA MUSTER", "anna muster", "Anna  Muster", "Anna-Muster", "Änna Müster", "Anna Muster.", " Anna Muster ",
    ])
    func nameSpellings(_ name: String) {
        #expect(Self.address(name: name).matchKey == Self.address().matchKey)
    }

    @Test("French abbreviations expand", arguments: [
        ("Av. de la Gare", "Avenue de la Gare"),
        ("Ch. des Vignes", "Chemin des Vignes"),
        ("Rue de l'Église", "rue de l eglise"),
    ])
    func frenchAbbreviations(short: String, long: String) {
        #expect(Self.address(street: short).matchKey == Self.address(street: long).matchKey)
    }

    @Test("\"Pl.\" is not expanded: it may be \"Place\" or \"Platz\"")
    func plIsNotExpanded() {
        // Neither reading is assumed, so a French "Place" never turns into a German "Platz".
        #expect(Self.address(street: "Pl. de la Gare").matchKey != Self.address(street: "Platz de la Gare").matchKey)
        #expect(Self.address(street: "Bahnhofpl.").matchKey != Self.address(street: "Bahnhofplatz").matchKey)
        #expect(Self.address(street: "Pl. de la Gare").matchKey == Self.address(street: "pl de la gare").matchKey)
        #expect(Self.address(street: "Bahnhofpl.", number: nil).matchKey == "CH|8001|bahnhofpl|anna muster")
    }

    @Test("house number and postcode ignore punctuation and case")
    func numberAndPostcode() {
        #expect(Self.address(number: "12a").matchKey == Self.address(number: "12 A").matchKey)
        #expect(Self.address(number: nil).matchKey == Self.address(number: "").matchKey)
        #expect(Self.address(postcode: " 8001 ").matchKey == Self.address().matchKey)
        #expect(Self.address(country: "ch").matchKey == Self.address().matchKey)
    }

    @Test("the town is not part of the key; a different person, street, number, postcode or country is")
    func distinguishingFields() {
        let base = Self.address().matchKey
        #expect(Self.address(town: "Zurich").matchKey == base)
        #expect(Self.address(name: "Hans Muster").matchKey != base)
        #expect(Self.address(street: "Seestrasse").matchKey != base)
        #expect(Self.address(number: "13").matchKey != base)
        #expect(Self.address(postcode: "8002").matchKey != base)
        #expect(Self.address(country: "LI").matchKey != base)
    }

    @Test("street and house number form one component: the number may be written in the street", arguments: [
        ("Bahnhofstr. 1", nil), ("Bahnhofstrasse 1", nil), ("Bahnhofstrasse 1", ""), ("Bahnhofstraße 1", nil), ("Bahnhofstr.", "1"), ("Bahnhof Str. 1", nil),
    ] as [(String, String?)])
    func numberInStreet(street: String, number: String?) {
        #expect(Self.address(street: street, number: number).matchKey == Self.address(street: "Bahnhofstrasse", number: "1").matchKey)
        #expect(Self.address(street: street, number: number).matchKey != Self.address(street: "Bahnhofstrasse", number: "11").matchKey)
    }

    @Test("the other fields stay apart: moving text between them changes the key")
    func fieldsDoNotRunTogether() {
        #expect(Self.address(name: "Anna Muster 12", number: nil).matchKey != Self.address().matchKey)
        #expect(Self.address(street: "8001 Bahnhofstrasse", postcode: "").matchKey != Self.address().matchKey)
        #expect(Self.address(name: "Muster", street: "Anna Bahnhofstrasse").matchKey != Self.address(name: "Anna Muster").matchKey)
    }

    @Test("the key is country|postcode|street+number|name, lowercase alphanumerics")
    func keyShape() {
        #expect(Self.address(street: "Bahnhofstr.").matchKey == "CH|8001|bahnhofstrasse12|anna muster")
        #expect(Self.address(street: "Bahnhofstr. 12", number: nil).matchKey == "CH|8001|bahnhofstrasse12|anna muster")
        #expect(Self.address(street: "Bahnhofstr. 12", number: nil).streetKey == "CH|8001|bahnhofstrasse|anna muster")
        #expect(Self.address(street: "Bahnhofstr. 12", number: nil).normalizedHouseNumber == "12")
    }

    @Test("the order of first and last name and a leading salutation or title do not matter", arguments: [
        "Muster Anna", "MUSTER, Anna", "Frau Anna Muster", "Mme Anna Muster", "Dr. Anna Muster", "Frau Dr. Anna Muster", "Prof. Dr. Muster Anna",
    ])
    func nameOrderAndSalutation(_ name: String) {
        #expect(Self.address(name: name).matchKey == Self.address().matchKey)
    }

    @Test("a salutation is dropped only in front; other words and initials stay")
    func salutationOnlyInFront() {
        #expect(Self.address(name: "Anna M. Muster").matchKey != Self.address().matchKey)
        #expect(Self.address(name: "Anna Muster-Meier").matchKey != Self.address().matchKey)
        #expect(Self.address(name: "Frau").matchKey == Self.address(name: "frau").matchKey)  // a lone word is kept
        #expect(Self.address(name: "Anna Muster Frau").matchKey != Self.address().matchKey)
    }

    @Test("the street key leaves the house number out, wherever it was written", arguments: [
        ("Bahnhofstrasse", "12"), ("Bahnhofstrasse", nil), ("Bahnhofstr. 12", nil), ("Bahnhof Str.", "7b"),
    ] as [(String, String?)])
    func streetKeyWithoutNumber(street: String, number: String?) {
        #expect(Self.address(street: street, number: number).streetKey == Self.address(number: nil).streetKey)
    }

    @Test("more street abbreviations: rte, bd, chem. (whole words only)")
    func moreAbbreviations() {
        #expect(Self.address(street: "Rte de Berne").matchKey == Self.address(street: "Route de Berne").matchKey)
        #expect(Self.address(street: "Bd de Grancy").matchKey == Self.address(street: "Boulevard de Grancy").matchKey)
        #expect(Self.address(street: "Chem. du Bois").matchKey == Self.address(street: "Chemin du Bois").matchKey)
        // Only whole words: "Chasseral" and "Avenir" stay as written.
        #expect(Self.address(street: "Chasseral", number: nil).streetKey == "CH|8001|chasseral|anna muster")
        #expect(Self.address(street: "Avenir", number: nil).streetKey == "CH|8001|avenir|anna muster")
    }

    // MARK: validate

    @Test("a Swiss address with four-digit postcode is valid")
    func validSwiss() throws {
        try Self.address().validate()
        try Self.address(number: nil).validate()
        try Self.address(postcode: "10000", country: "DE").validate()
        try Self.address(postcode: "SW1A 1AA", country: "GB").validate()
    }

    @Test("invalid fields are refused with a pointer", arguments: [
        (address(name: ""), "/recipient/postal/name"),
        (address(name: "   "), "/recipient/postal/name"),
        (address(name: String(repeating: "a", count: 101)), "/recipient/postal/name"),
        (address(name: "Anna\nMuster"), "/recipient/postal/name"),
        (address(street: ""), "/recipient/postal/street"),
        (address(street: "Bahnhof\r\nstrasse"), "/recipient/postal/street"),
        (address(street: String(repeating: "s", count: 101)), "/recipient/postal/street"),
        (address(postcode: ""), "/recipient/postal/postcode"),
        (address(postcode: String(repeating: "1", count: 17), country: "DE"), "/recipient/postal/postcode"),
        (address(town: " "), "/recipient/postal/town"),
        (address(town: "Zü\nrich"), "/recipient/postal/town"),
        (address(country: "ch"), "/recipient/postal/country"),
        (address(country: "CHE"), "/recipient/postal/country"),
        (address(country: "C"), "/recipient/postal/country"),
        (address(country: "Ç1"), "/recipient/postal/country"),
        (address(postcode: "800"), "/recipient/postal/postcode"),
        (address(postcode: "80011"), "/recipient/postal/postcode"),
        (address(postcode: "80a1"), "/recipient/postal/postcode"),
        (address(postcode: "８００１"), "/recipient/postal/postcode"),
        (address(number: "1\n2"), "/recipient/postal/houseNumber"),
        (address(number: String(repeating: "1", count: 21)), "/recipient/postal/houseNumber"),
        (PostalAddress(name: "Anna", addressLine2: "c/o\nBeat", street: "Seeweg", postcode: "8001", town: "Zürich"), "/recipient/postal/addressLine2"),
        (PostalAddress(name: "Anna", addressLine2: String(repeating: "x", count: 101), street: "Seeweg", postcode: "8001", town: "Zürich"), "/recipient/postal/addressLine2"),
        (address(name: "Anna\u{0}Muster"), "/recipient/postal/name"),
        (address(town: "Zürich\u{9B}"), "/recipient/postal/town"),
    ])
    func invalid(_ address: PostalAddress, pointer: String) {
        let error = #expect(throws: MissiveError.self) { try address.validate() }
        #expect(error?.code == .invalidField)
        #expect(error?.pointer == pointer)
    }

    @Test("limits are inclusive")
    func limits() throws {
        try Self.address(name: String(repeating: "a", count: 100), street: String(repeating: "s", count: 100), town: String(repeating: "t", count: 100)).validate()
        try Self.address(postcode: String(repeating: "1", count: 16), country: "DE").validate()
        try Self.address(number: String(repeating: "1", count: 20)).validate()
        try PostalAddress(name: "Anna", addressLine2: String(repeating: "x", count: 100), street: "Seeweg", postcode: "8001", town: "Zürich").validate()
    }
}
