import Foundation
import MissiveCore
import Testing

@Suite("Identifiers")
struct IdentifierTests {
    static let crockford = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    static func check<ID: PrefixedIdentifier>(_ type: ID.Type, prefix: String) {
        let id = ID.generate()
        #expect(ID.prefix == prefix)
        #expect(id.rawValue.hasPrefix(prefix + "_"))
        #expect(id.rawValue.count == prefix.count + 27)
        #expect(id.rawValue.dropFirst(prefix.count + 1).allSatisfy(crockford.contains))
        #expect(id.description == id.rawValue)
        #expect(ID(rawValue: id.rawValue) == id)
    }

    @Test("every identifier type has its prefix and a 26-character ULID")
    func prefixes() {
        Self.check(EnvelopeID.self, prefix: "env")
        Self.check(OrganisationID.self, prefix: "org")
        Self.check(EventID.self, prefix: "evt")
        Self.check(LetterID.self, prefix: "ltr")
        Self.check(MailboxID.self, prefix: "mbx")
        Self.check(WebhookID.self, prefix: "whk")
        Self.check(DeliveryID.self, prefix: "msg")
        Self.check(APIKeyID.self, prefix: "key")
        Self.check(DirectoryEntryID.self, prefix: "rcp")
    }

    @Test("an envelope id is 30 characters")
    func envelopeLength() {
        #expect(EnvelopeID.generate().rawValue.count == 30)
        #expect(EnvelopeID.generate(at: Date(timeIntervalSince1970: 0)).rawValue.count == 30)
    }

    @Test("the first ten characters encode the milliseconds")
    func timestampEncoding() {
        #expect(EnvelopeID.generate(at: Date(timeIntervalSince1970: 0)).rawValue.dropFirst(4).prefix(10) == "0000000000")
        // 1_469_922_850_259 ms is 01ARZ3NDEK (the ULID specification's example, 01ARZ3NDEKTSV4RRFFQ69G5FAV).
        #expect(EnvelopeID.generate(at: Date(timeIntervalSince1970: 1_469_922_850.2595)).rawValue.dropFirst(4).prefix(10) == "01ARZ3NDEK")
        #expect(EnvelopeID.generate(at: Date(timeIntervalSince1970: 1_469_918_176.3855)).rawValue.dropFirst(4).prefix(10) == "01ARYZ6S41")
    }

    @Test("identifiers sort by time across milliseconds")
    func timeOrdered() {
        let start = Date(timeIntervalSince1970: 1_750_000_000)
        var previous = EnvelopeID.generate(at: start)
        for step in 1...2_000 {
            let next = EnvelopeID.generate(at: start.addingTimeInterval(Double(step) * 0.001 + 0.0001))
            #expect(previous < next)
            #expect(previous.rawValue < next.rawValue)
            previous = next
        }
        let years = [0.0, 1, 1_000_000, 1_750_000_000, 4_000_000_000].map { EventID.generate(at: Date(timeIntervalSince1970: $0)) }
        #expect(years == years.sorted())
    }

    @Test("10,000 identifiers made in the same millisecond are all different")
    func unique() {
        let now = Date()
        let ids = (0..<10_000).map { _ in EnvelopeID.generate(at: now) }
        #expect(Set(ids).count == 10_000)
        #expect(Set(ids.map { $0.rawValue.dropFirst(14) }).count == 10_000)
    }

    @Test("init(rawValue:) refuses malformed identifiers", arguments: [
        "",
        "env_",
        "env_01ARZ3NDEKTSV4RRFFQ69G5FA",      // 25
        "env_01ARZ3NDEKTSV4RRFFQ69G5FAVV",    // 27
        "org_01ARZ3NDEKTSV4RRFFQ69G5FAV",     // wrong prefix
        "ENV_01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "env-01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "env01ARZ3NDEKTSV4RRFFQ69G5FAVX",
        "env_01arz3ndektsv4rrffq69g5fav",     // lowercase
        "env_01ARZ3NDEKTSV4RRFFQ69G5FAI",     // I
        "env_01ARZ3NDEKTSV4RRFFQ69G5FAL",     // L
        "env_01ARZ3NDEKTSV4RRFFQ69G5FAO",     // O
        "env_01ARZ3NDEKTSV4RRFFQ69G5FAU",     // U
        "env_01ARZ3NDEKTSV4RRFFQ69G5FA-",
        "env_01ARZ3NDEKTSV4RRFFQ69G5FÄ",      // 26 bytes, 25 characters
        "env_01ARZ3NDEKTSV4RRFFQ69G5F 0",
        " env_01ARZ3NDEKTSV4RRFFQ69G5FA",
    ])
    func rejects(_ raw: String) {
        #expect(EnvelopeID(rawValue: raw) == nil)
    }

    @Test("init(rawValue:) accepts a well-formed identifier")
    func accepts() {
        #expect(EnvelopeID(rawValue: "env_01ARZ3NDEKTSV4RRFFQ69G5FAV")?.rawValue == "env_01ARZ3NDEKTSV4RRFFQ69G5FAV")
        #expect(OrganisationID(rawValue: "org_01ARZ3NDEKTSV4RRFFQ69G5FAV") != nil)
    }

    @Test("Codable: a JSON string that round-trips")
    func codableRoundTrip() throws {
        let id = EnvelopeID.generate()
        let data = try JSONEncoder().encode(id)
        #expect(String(decoding: data, as: UTF8.self) == "\"\(id.rawValue)\"")
        #expect(try JSONDecoder().decode(EnvelopeID.self, from: data) == id)

        struct Wrapper: Codable, Equatable { var id: EnvelopeID; var org: OrganisationID }
        let wrapper = Wrapper(id: id, org: .generate())
        #expect(try JSONDecoder().decode(Wrapper.self, from: JSONEncoder().encode(wrapper)) == wrapper)
    }

    @Test("Codable: decoding refuses a wrong prefix, a malformed value and a non-string", arguments: [
        "\"org_01ARZ3NDEKTSV4RRFFQ69G5FAV\"", "\"env_nope\"", "\"\"", "42", "{\"rawValue\":\"env_01ARZ3NDEKTSV4RRFFQ69G5FAV\"}", "null",
    ])
    func decodeFailure(_ json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(EnvelopeID.self, from: Data(json.utf8)) }
    }

    @Test("Comparable agrees with the raw value")
    func comparable() {
        let a = EnvelopeID(rawValue: "env_01ARZ3NDEKTSV4RRFFQ69G5FAV")!
        let b = EnvelopeID(rawValue: "env_01ARZ3NDEKTSV4RRFFQ69G5FAW")!
        #expect(a < b)
        #expect(!(b < a))
        #expect(!(a < a))
    }
}
