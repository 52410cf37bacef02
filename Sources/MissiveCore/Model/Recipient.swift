import Foundation

/// Who a letter is for: any of an ePost mailbox address, a Swiss company UID, an eBill
/// recipient id, or a postal address. A postal address alone is enough; the directory
/// resolves reachability.
public struct Recipient: Sendable, Hashable, Codable {
    public var ePostAddress: String?
    public var uid: String?
    public var eBillID: String?
    public var postal: PostalAddress?

    public init(ePostAddress: String? = nil, uid: String? = nil, eBillID: String? = nil, postal: PostalAddress? = nil) {
        self.ePostAddress = ePostAddress
        self.uid = uid
        self.eBillID = eBillID
        self.postal = postal
    }

    /// True when no way to find the recipient is given.
    public var isEmpty: Bool { ePostAddress == nil && uid == nil && eBillID == nil && postal == nil }

    /// True when the sender addressed the recipient by eBill id and nothing else.
    public var isEBillAddressOnly: Bool { eBillID != nil && ePostAddress == nil && uid == nil && postal == nil }

    /// Checks the fields' shapes; the directory checks existence later.
    public func validate() throws(MissiveError) {
        if isEmpty {
            throw MissiveError(.invalidField, "The recipient needs an ePost address, a UID, an eBill id or a postal address.", pointer: "/recipient")
        }
        if let address = ePostAddress, !Self.isPlausibleMailboxAddress(address) {
            throw MissiveError(.invalidField, "ePostAddress is not a mailbox address.", pointer: "/recipient/ePostAddress")
        }
        if let uid, !Self.isUID(uid) {
            throw MissiveError(.invalidField, "uid must look like CHE-123.456.789.", pointer: "/recipient/uid")
        }
        if let id = eBillID, !(id.utf8.count == 17 && id.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }) {
            throw MissiveError(.invalidField, "eBillId must be 17 digits.", pointer: "/recipient/eBillId")
        }
        try postal?.validate()
    }

    public static func isPlausibleMailboxAddress(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard value.unicodeScalars.count >= 3, value.unicodeScalars.count <= 254, parts.count == 2, !parts[0].isEmpty,
              !value.contains(where: { $0.isWhitespace || $0.isNewline }), !value.hasControlCharacters
        else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty }
    }

    public static func isUID(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.count == 15, value.hasPrefix("CHE-") else { return false }
        for (index, byte) in bytes.enumerated().dropFirst(4) {
            if index == 7 || index == 11 {
                if byte != UInt8(ascii: ".") { return false }
            } else if !(48...57).contains(byte) {
                return false
            }
        }
        return true
    }
}

/// A postal address (Swiss conventions by default).
public struct PostalAddress: Sendable, Hashable, Codable {
    public var name: String
    public var addressLine2: String?
    public var street: String
    public var houseNumber: String?
    public var postcode: String
    public var town: String
    /// ISO 3166-1 alpha-2.
    public var country: String

    public init(name: String, addressLine2: String? = nil, street: String, houseNumber: String? = nil, postcode: String, town: String, country: String = "CH") {
        self.name = name
        self.addressLine2 = addressLine2
        self.street = street
        self.houseNumber = houseNumber
        self.postcode = postcode
        self.town = town
        self.country = country
    }

    public func validate() throws(MissiveError) {
        for (field, value, limit) in [("addressLine2", addressLine2 ?? "-", 100), ("houseNumber", houseNumber ?? "-", 20)] where value.unicodeScalars.count > limit || value.hasControlCharacters {
            throw MissiveError(.invalidField, "The postal address needs a valid \(field).", pointer: "/recipient/postal/\(field)")
        }
        for (field, value, limit) in [("name", name, 100), ("street", street, 100), ("postcode", postcode, 16), ("town", town, 100)] {
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || value.unicodeScalars.count > limit || value.hasControlCharacters {
                throw MissiveError(.invalidField, "The postal address needs a valid \(field).", pointer: "/recipient/postal/\(field)")
            }
        }
        if country.utf8.count != 2 || !country.utf8.allSatisfy({ (65...90).contains($0) }) {
            throw MissiveError(.invalidField, "country must be an ISO 3166-1 alpha-2 code.", pointer: "/recipient/postal/country")
        }
        if country == "CH", !(postcode.utf8.count == 4 && postcode.utf8.allSatisfy { (48...57).contains($0) }) {
            throw MissiveError(.invalidField, "A Swiss postcode has four digits.", pointer: "/recipient/postal/postcode")
        }
    }

    /// A normalized key that matches the same address written differently: case, accents,
    /// spacing, punctuation, the order of first and last name, a leading salutation ("Herr",
    /// "Mme", "Dr.") and common street abbreviations ("Str." / "Strasse", "av." / "avenue")
    /// do not matter. The town is left out: the postcode decides.
    public var matchKey: String {
        let (street, number) = normalizedStreetAndNumber
        return [country.uppercased(), Self.normalize(postcode), street + number, normalizedName].joined(separator: "|")
    }

    /// ``matchKey`` without the house number: finds the address when one side left the number
    /// out (the directory answers a unique name on that street, or `multiple_matches`).
    public var streetKey: String {
        [country.uppercased(), Self.normalize(postcode), normalizedStreetAndNumber.street, normalizedName].joined(separator: "|")
    }

    /// The normalized house number ("12 a", "12A" → "12a"); empty when none was given,
    /// neither in `houseNumber` nor at the end of `street`.
    public var normalizedHouseNumber: String { normalizedStreetAndNumber.number }

    /// Street and number normalized apart; a number written into the street ("Bahnhofstr. 1",
    /// no `houseNumber`) is split off.
    var normalizedStreetAndNumber: (street: String, number: String) {
        var words = Self.words(street).map(Self.expandingAbbreviation)
        var number = Self.normalize(houseNumber ?? "")
        if number.isEmpty, words.count > 1, let last = words.last, last.first?.isNumber == true {
            number = Self.alphanumerics(last)
            words.removeLast()
        }
        return (Self.alphanumerics(words.joined()), number)
    }

    /// The name's words sorted, a leading salutation or title dropped: "Herr Dr. Hans Muster"
    /// and "Muster Hans" give the same key.
    var normalizedName: String {
        var words = Self.words(name).map(Self.alphanumerics).filter { !$0.isEmpty }
        while words.count > 1, let first = words.first, Self.salutations.contains(first) { words.removeFirst() }
        return words.sorted().joined(separator: " ")
    }

    private static let salutations: Set<String> = [
        "herr", "herrn", "frau", "hr", "fr", "dr", "prof", "familie", "fam",
        "monsieur", "madame", "mademoiselle", "m", "mme", "mlle", "signor", "signora", "sig", "sigra",
        "mr", "mrs", "ms",
    ]

    /// Folded words split at spaces and dashes (punctuation stays until ``alphanumerics(_:)``).
    private static func words(_ value: String) -> [String] {
        value.folded()
            .split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "\t" || $0 == "\u{A0}" })
            .map(String.init)
    }

    /// "Bahnhofstr." / "Str" / "Straße" → "…strasse"; "av." → "avenue", "ch." → "chemin",
    /// "rte" → "route", "bd" → "boulevard" (whole words only).
    private static func expandingAbbreviation(_ word: String) -> String {
        let bare = word.hasSuffix(".") ? String(word.dropLast()) : word
        switch bare {
        case "av": return "avenue"
        case "ch", "chem": return "chemin"
        case "rte": return "route"
        case "bd", "boul": return "boulevard"
        default: break
        }
        if bare.hasSuffix("str") { return bare.dropLast(3) + "strasse" }
        return bare
    }

    /// Only letters and digits, lower-cased and accent-free.
    static func normalize(_ value: String) -> String {
        alphanumerics(value.folded())
    }

    /// The letters and digits of already folded text.
    private static func alphanumerics(_ folded: String) -> String {
        String(String.UnicodeScalarView(folded.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }))
    }
}

extension String {
    /// The form names, addresses and search terms are compared in: lower-cased, accents
    /// removed, "ß" as "ss" (and, with `widthInsensitive`, full-width forms as ASCII).
    public func folded(widthInsensitive: Bool = false) -> String {
        folding(options: widthInsensitive ? [.caseInsensitive, .diacriticInsensitive, .widthInsensitive] : [.caseInsensitive, .diacriticInsensitive],
                locale: Locale(identifier: "en_US_POSIX"))
            .lowercased()
            .replacingOccurrences(of: "ß", with: "ss")
    }

    /// True when the text holds C0/C1 control characters (line breaks included).
    public var hasControlCharacters: Bool {
        unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }
}
