import Foundation
import MissiveMIME
import Testing

@Suite("MIMEHeaders")
struct MIMEHeadersTests {
    @Test("Folded fields are unfolded; order and duplicates are kept; lookups ignore case")
    func unfolding() throws {
        let headers = try MIMEHeaders(
            parsing: MIMEFixtures.crlf(
                """
                Received: from a
                  by b;
                \tSat, 29 Nov 2025 10:00:00 +0100
                Received: from c
                subject:   spaced out\t
                X-Empty:
                X-Obs-Fold: first
                 \t
                 last

                Ignored: after the block
                """))
        #expect(headers.fields.map(\.name) == ["Received", "Received", "subject", "X-Empty", "X-Obs-Fold"])
        #expect(headers.first("RECEIVED") == "from a  by b;\tSat, 29 Nov 2025 10:00:00 +0100")
        #expect(headers.all("received").count == 2)
        #expect(headers.first("Subject") == "spaced out")
        #expect(headers.first("x-empty") == "")
        #expect(headers.first("X-Obs-Fold") == "first \t last")
        #expect(headers.first("Ignored") == nil)
        #expect(headers.first("Missing") == nil)
        #expect(headers.all("Missing").isEmpty)
    }

    @Test("Raw UTF-8 in headers (RFC 6532) is kept; invalid UTF-8 is read as Windows-1252")
    func rawHeaderBytes() throws {
        let utf8 = try MIMEHeaders(parsing: Array("Subject: Grüße aus Zürich\r\n\r\n".utf8))
        #expect(utf8.subject == "Grüße aus Zürich")
        let latin1 = try MIMEHeaders(parsing: [UInt8]("Subject: Gr".utf8) + [0xFC, 0xDF, 0x80] + [13, 10, 13, 10])
        #expect(latin1.subject == "Grüß€")
    }

    @Test("Subject: RFC 2047 words decoded")
    func subject() throws {
        let headers = MIMEHeaders(fields: [("Subject", "=?UTF-8?B?R3LDvGV6aQ==?= =?utf-8?q?_mitenand?= und =?iso-8859-1?Q?=E0_bient=F4t?=")])
        #expect(headers.subject == "Grüezi mitenand und à bientôt")
        #expect(MIMEHeaders().subject == nil)
    }

    @Test("Message-ID without angle brackets", arguments: [
        ("<abc.123@example.ch>", "abc.123@example.ch"),
        ("  <abc@x>  (comment)", "abc@x"),
        ("bare-id@example.ch ", "bare-id@example.ch"),
        ("<>", nil),
        ("", nil),
    ] as [(String, String?)])
    func messageID(value: String, expected: String?) {
        #expect(MIMEHeaders(fields: [("Message-Id", value)]).messageID == expected)
    }

    @Test("From: the first address's addr-spec", arguments: [
        ("anna@example.ch", "anna@example.ch"),
        ("Anna Muster <anna@example.ch>", "anna@example.ch"),
        ("\"Muster, Anna <boss>\" <anna@example.ch>, other@example.ch", "anna@example.ch"),
        ("=?utf-8?q?M=C3=BCller?= <mueller@example.ch>", "mueller@example.ch"),
        ("anna@example.ch (Anna Muster), bob@example.ch", "anna@example.ch"),
        ("(comment) anna @ example.ch", "anna@example.ch"),
        ("<@relay.example:anna@example.ch>", "anna@example.ch"),
        ("\"john doe\"@example.ch", "\"john doe\"@example.ch"),
        ("Team: anna@example.ch, bob@example.ch;", "anna@example.ch"),
        ("undisclosed-recipients:;", nil),
        ("", nil),
    ] as [(String, String?)])
    func from(value: String, expected: String?) {
        #expect(MIMEHeaders(fields: [("From", value)]).from == expected)
    }

    @Test("Content-Type helper: parsed, or text/plain; charset=us-ascii")
    func contentType() {
        #expect(MIMEHeaders().contentType == .textPlain)
        #expect(MIMEHeaders(fields: [("Content-Type", "Application/PDF")]).contentType.mediaType == "application/pdf")
        #expect(MIMEHeaders(fields: [("Content-Type", "garbage")]).contentType == .textPlain)
    }
}
