import Foundation

/// Turns bytes labelled with a MIME charset (RFC 2045 `charset`, RFC 2047 and RFC 2231
/// charset names) into text. UTF-8, US-ASCII, ISO-8859-1, ISO-8859-15 and Windows-1252 are
/// decoded here; other common charsets through Foundation. Text that cannot be decoded as
/// labelled falls back to UTF-8 when valid, else Windows-1252, so decoding never fails.
enum Charset {
    /// Decodes `bytes` labelled `charset` (nil or unknown: best effort).
    static func decode(_ bytes: some Collection<UInt8>, charset: String?) -> String {
        let name = charset.map(normalizedName) ?? ""
        switch name {
        case "utf-8", "utf8", "unicode-1-1-utf-8":
            return String(decoding: bytes, as: UTF8.self)
        case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "":
            return bestEffort(bytes)
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819",
            "windows-1252", "cp1252", "x-cp1252", "ms-ansi":
            // Text labelled ISO-8859-1 is nearly always Windows-1252 (WHATWG Encoding makes
            // the same choice): C1 controls never occur in real text, smart quotes do.
            return windows1252(bytes)
        case "iso-8859-15", "iso8859-15", "iso_8859-15", "latin-9", "latin9", "l9":
            return latin9(bytes)
        default:
            if let encoding = foundationEncodings[name],
                let text = String(bytes: Array(bytes), encoding: encoding)
            {
                return text
            }
            return bestEffort(bytes)
        }
    }

    /// Raw header bytes (RFC 6532 allows UTF-8; old mailers send Latin-1).
    static func headerText(_ bytes: some Collection<UInt8>) -> String {
        bestEffort(bytes)
    }

    /// UTF-8 when valid, otherwise Windows-1252.
    static func bestEffort(_ bytes: some Collection<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return windows1252(bytes)
    }

    /// `charset` lowercased, without quotes, spaces or an RFC 2231 `*language` suffix.
    static func normalizedName(_ charset: String) -> String {
        var name = charset.trimmingCharacters(in: .whitespaces).lowercased()
        if let star = name.firstIndex(of: "*") { name = String(name[..<star]) }
        return name.trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
    }

    static func windows1252(_ bytes: some Collection<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            let value = byte >= 0x80 && byte < 0xA0 ? windows1252High[Int(byte - 0x80)] : UInt32(byte)
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
        }
        return String(scalars)
    }

    static func latin9(_ bytes: some Collection<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            let value: UInt32 =
                switch byte {
                case 0xA4: 0x20AC
                case 0xA6: 0x0160
                case 0xA8: 0x0161
                case 0xB4: 0x017D
                case 0xB8: 0x017E
                case 0xBC: 0x0152
                case 0xBD: 0x0153
                case 0xBE: 0x0178
                default: UInt32(byte)
                }
            scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
        }
        return String(scalars)
    }

    /// Windows-1252 0x80–0x9F (the five unassigned bytes map to their C1 controls).
    private static let windows1252High: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    /// A CoreFoundation encoding as Foundation exposes it (`0x8000_0000 | CFStringEncoding`).
    private static func coreFoundation(_ value: UInt) -> String.Encoding {
        String.Encoding(rawValue: 0x8000_0000 | value)
    }

    private static let foundationEncodings: [String: String.Encoding] = [
        "iso-8859-2": .isoLatin2, "iso8859-2": .isoLatin2, "latin2": .isoLatin2,
        "windows-1250": .windowsCP1250, "cp1250": .windowsCP1250,
        "windows-1251": .windowsCP1251, "cp1251": .windowsCP1251,
        "windows-1253": .windowsCP1253, "cp1253": .windowsCP1253,
        "windows-1254": .windowsCP1254, "cp1254": .windowsCP1254,
        "utf-16": .utf16, "utf-16be": .utf16BigEndian, "utf-16le": .utf16LittleEndian,
        "utf-32": .utf32, "utf-32be": .utf32BigEndian, "utf-32le": .utf32LittleEndian,
        "shift_jis": .shiftJIS, "shift-jis": .shiftJIS, "sjis": .shiftJIS,
        "iso-2022-jp": .iso2022JP,
        "euc-jp": coreFoundation(0x0920),
        "gb2312": coreFoundation(0x0930), "euc-cn": coreFoundation(0x0930),
        "gbk": coreFoundation(0x0631), "gb18030": coreFoundation(0x0632),
        "big5": coreFoundation(0x0A03),
        "euc-kr": coreFoundation(0x0940), "ks_c_5601-1987": coreFoundation(0x0940),
        "koi8-r": coreFoundation(0x0A02),
        "iso-8859-5": coreFoundation(0x0205), "iso-8859-7": coreFoundation(0x0207),
        "iso-8859-9": coreFoundation(0x0209),
    ]
}
