import Foundation
import MissiveMIME
import Testing

@Suite("Transfer encodings: quoted-printable and base64 decoding")
struct TransferEncodingTests {
    /// Decodes `body` as the content of a single-part message, fed in chunks.
    private func decode(_ body: String, encoding: String, chunkSize: Int = .max) throws -> [UInt8] {
        let message = MIMEFixtures.crlf("Content-Transfer-Encoding: \(encoding)\n\n") + Array(body.utf8)
        return try MIMEFixtures.read(message, chunkSize: chunkSize).parts[0].body
    }

    private func qp(_ body: String, chunkSize: Int = .max) throws -> String {
        String(decoding: try decode(body, encoding: "quoted-printable", chunkSize: chunkSize), as: UTF8.self)
    }

    @Test("Quoted-printable rules", arguments: [
        ("plain text", "plain text"),
        ("=3D=20=3d", "= ="),
        ("soft=\r\nbreak", "softbreak"),
        ("soft=  \t\r\nbreak with transport padding", "softbreak with transport padding"),
        ("soft=\nbreak with LF", "softbreak with LF"),
        ("trailing space   \r\nremoved\t\r\n", "trailing space\r\nremoved\r\n"),
        ("hard\r\nbreaks\nkept", "hard\r\nbreaks\nkept"),
        ("a bare\rCR", "a bare\rCR"),
        ("kept as is: =ZZ =4 =\u{20}x a=b", "kept as is: =ZZ =4 = x a=b"),
        ("=C3=BCber=E2=82=AC", "über€"),
        ("ends with soft break=", "ends with soft break"),
        ("ends with trailing space  ", "ends with trailing space"),
        ("ends with =4", "ends with =4"),
        ("", ""),
    ])
    func quotedPrintable(encoded: String, decoded: String) throws {
        for chunkSize in [1, 2, 3, .max] {
            #expect(try qp(encoded, chunkSize: chunkSize) == decoded, "chunk size \(chunkSize)")
        }
    }

    @Test("Quoted-printable: every split point of a line with escapes, soft breaks and trailing space")
    func quotedPrintableSplits() throws {
        let encoded = "Gr=C3=BC=C3=9Fe  =\r\nund =E2=82=AC \t\r\nEnde=3D=\r\n"
        let body = MIMEFixtures.crlf("Content-Transfer-Encoding: quoted-printable\n\n") + Array(encoded.utf8)
        let expected = Array("Grüße  und €\r\nEnde=".utf8)
        for first in 1..<body.count {
            for second in stride(from: first + 1, to: body.count, by: 3) {
                var reader = MIMEStreamReader()
                var decoded: [UInt8] = []
                let sink: (MIMEEvent) -> Void = { if case .bodyBytes(let bytes) = $0 { decoded += bytes } }
                try reader.feed(body[..<first], sink)
                try reader.feed(body[first..<second], sink)
                try reader.feed(body[second...], sink)
                try reader.finish(sink)
                #expect(decoded == expected, "splits at \(first), \(second)")
            }
        }
    }

    @Test("Base64: every byte value, line lengths, whitespace and padding forms")
    func base64() throws {
        let bytes = (0...255).map(UInt8.init) + Array("tail".utf8)
        for length in [0, 1, 2, 3, 4, 5, 100, bytes.count] {
            let sample = Array(bytes.prefix(length))
            let encoded = MIMEFixtures.base64Lines(sample)
            #expect(try decode(encoded, encoding: "base64", chunkSize: 5) == sample)
            let spaced = encoded.map { "\($0) " }.joined() + "\r\n\t"
            #expect(try decode(spaced, encoding: "BASE64") == sample)
        }
        #expect(try decode("QQ==\r\n", encoding: "base64") == [0x41])
        #expect(try decode("QUI=", encoding: "base64") == [0x41, 0x42])
        #expect(try decode("QUJD\r\nREVG", encoding: "base64") == Array("ABCDEF".utf8))
    }

    @Test("7bit, 8bit and binary are delivered as received")
    func identity() throws {
        let text = "Zeile 1\r\nZeile =3D 2\r\n"
        for encoding in ["7bit", "8bit", "binary"] {
            #expect(try decode(text, encoding: encoding) == Array(text.utf8))
        }
    }
}
