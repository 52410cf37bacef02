import MissiveCore
import Testing

@Suite("BearerSecret")
struct BearerSecretTests {
    static let base62 = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    @Test("mint: the prefix then 32 base62 characters", arguments: ["mk_live_", "mk_test_", ""])
    func mint(_ prefix: String) {
        let secret = BearerSecret.mint(prefix: prefix)
        #expect(secret.hasPrefix(prefix))
        #expect(secret.count == prefix.count + 32)
        #expect(secret.dropFirst(prefix.count).allSatisfy(Self.base62.contains))
    }

    @Test("minted secrets differ and use the whole alphabet")
    func mintRandomness() {
        let secrets = (0..<2_000).map { _ in BearerSecret.mint(prefix: "k_") }
        #expect(Set(secrets).count == secrets.count)
        let used = Set(secrets.flatMap { $0.dropFirst(2) })
        #expect(used == Self.base62)
    }

    @Test("hash is lowercase hex SHA-256 of the UTF-8 bytes")
    func hash() {
        #expect(BearerSecret.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(BearerSecret.hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let secret = BearerSecret.mint(prefix: "mk_live_")
        #expect(BearerSecret.hash(secret) == BearerSecret.hash(secret))
        #expect(BearerSecret.hash(secret) != BearerSecret.hash(secret + "x"))
        #expect(BearerSecret.hash("é").count == 64)
    }

    @Test("hex pads every byte to two digits")
    func hex() {
        #expect([UInt8]().hex == "")
        #expect([0x00, 0x0F, 0xA0, 0xFF].hex == "000fa0ff")
    }
}
