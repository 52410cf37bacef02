/// Base32 as RFC 4648 §6 defines it (alphabet `A`–`Z`, `2`–`7`), the encoding of TOTP
/// secrets in authenticator apps. Encoding writes capitals without padding; decoding is
/// tolerant of what people type or paste (either case, spaces, trailing `=` padding) and
/// strict about everything else.
public enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// `bytes` in base32, capitals, no padding.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 0x1F)])
            }
        }
        if bits > 0 {
            out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil when it holds a symbol outside the alphabet,
    /// padding anywhere but at the end, a length no byte string encodes to, or non-zero
    /// unused bits in its last symbol. Case is ignored, and so are spaces.
    public static func decode(_ text: String) -> [UInt8]? {
        var symbols = Array(text.utf8.filter { $0 != UInt8(ascii: " ") })
        while symbols.last == UInt8(ascii: "=") { symbols.removeLast() }
        guard [0, 2, 4, 5, 7].contains(symbols.count % 8) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(symbols.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for symbol in symbols {
            guard let value = value(of: symbol) else { return nil }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }

    private static func value(of symbol: UInt8) -> UInt8? {
        switch symbol {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): symbol - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): symbol - UInt8(ascii: "a")
        case UInt8(ascii: "2")...UInt8(ascii: "7"): symbol - UInt8(ascii: "2") + 26
        default: nil
        }
    }
}
