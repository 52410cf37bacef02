import Foundation
import MissiveMIME
import Testing

@Suite("MIMEStreamReader: structure")
struct MIMEStreamReaderTests {
    @Test("A simple text mail is one leaf part with the body as is")
    func simpleTextMail() throws {
        let message = try MIMEFixtures.read(
            MIMEFixtures.crlf(
                """
                From: anna@example.ch
                To: letters@missive.example
                Subject: Hello
                Date: Sat, 29 Nov 2025 10:00:00 +0100

                Line one
                Line two

                """))
        #expect(message.headers.subject == "Hello")
        #expect(message.headers.from == "anna@example.ch")
        #expect(message.parts.count == 1)
        let part = try #require(message.parts.first?.part)
        #expect(part.contentType == .textPlain)
        #expect(part.contentType.mediaType == "text/plain")
        #expect(part.transferEncoding == "7bit")
        #expect(part.depth == 0 && part.index == 0)
        #expect(part.headers == message.headers)
        #expect(message.text(0) == "Line one\r\nLine two\r\n")
    }

    @Test("Events come in order: messageHeaders once, then partStart, bodyBytes, partEnd")
    func eventOrder() throws {
        let events = try MIMEFixtures.events(MIMEFixtures.crlf("Subject: x\n\nbody"))
        #expect(events.count == 4)
        guard events.count == 4 else { return }
        guard case .messageHeaders = events[0], case .partStart = events[1], case .partEnd = events[3] else {
            Issue.record("unexpected events \(events)")
            return
        }
        #expect(events[2] == .bodyBytes(Array("body".utf8)))
    }

    @Test("multipart/mixed with a base64 PDF: the decoded bytes equal the original, whatever the chunking",
          arguments: [1, 2, 3, 7, 64, 4096])
    func base64Attachment(chunkSize: Int) throws {
        let pdf = MIMEFixtures.pdf(count: 20_000)
        let mail = MIMEFixtures.mailWithPDF(pdf)
        let whole = try MIMEFixtures.events(mail)
        let chunked = try MIMEFixtures.events(mail, chunkSize: chunkSize)
        #expect(chunked == whole)
        let message = try MIMEFixtures.read(mail, chunkSize: chunkSize)
        #expect(message.parts.count == 2)
        #expect(message.text(0) == "Guten Tag\r\nanbei die Rechnung.")
        let attachment = message.parts[1]
        #expect(attachment.part.contentType.mediaType == "application/pdf")
        #expect(attachment.part.transferEncoding == "base64")
        #expect(attachment.part.disposition == "attachment")
        #expect(attachment.part.filename == "rechnung.pdf")
        #expect(attachment.part.depth == 1)
        #expect(attachment.part.index == 1)
        #expect(attachment.body == pdf)
    }

    @Test("multipart/alternative nested in multipart/mixed: leaves in order with their depth")
    func nestedAlternative() throws {
        let message = try MIMEFixtures.read(
            MIMEFixtures.crlf(
                """
                Content-Type: multipart/mixed; boundary=outer

                --outer
                Content-Type: multipart/alternative; boundary="inner"

                preamble of the alternative
                --inner
                Content-Type: text/plain; charset=us-ascii

                plain
                --inner
                Content-Type: text/html

                <p>html</p>
                --inner--
                epilogue of the alternative
                --outer
                Content-Type: application/pdf
                Content-Transfer-Encoding: base64

                JVBERi0xLjQK
                --outer--

                """))
        #expect(message.parts.map(\.part.contentType.mediaType) == ["text/plain", "text/html", "application/pdf"])
        #expect(message.parts.map(\.part.depth) == [2, 2, 1])
        #expect(message.parts.map(\.part.index) == [0, 1, 2])
        #expect(message.text(0) == "plain")
        #expect(message.text(1) == "<p>html</p>")
        #expect(message.text(2) == "%PDF-1.4\n")
    }

    @Test("Quoted-printable with soft breaks and =XX, split at every possible point")
    func quotedPrintable() throws {
        let mail = MIMEFixtures.crlf(
            """
            Content-Type: multipart/mixed; boundary=b

            --b
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            Gr=C3=BCezi mitenand, das ist eine sehr lange Zeile, die weich umbroch=
            en wird =E2=82=AC=3D  \t
            zweite Zeile=20
            letzte=
            --b--
            """)
        let expected = "Grüezi mitenand, das ist eine sehr lange Zeile, die weich umbrochen wird €=\r\nzweite Zeile \r\nletzte"
        #expect(try MIMEFixtures.read(mail).text(0) == expected)
        let whole = try MIMEFixtures.events(mail)
        for split in 1..<mail.count {
            var reader = MIMEStreamReader()
            var body: [UInt8] = []
            let sink: (MIMEEvent) -> Void = { if case .bodyBytes(let bytes) = $0 { body += bytes } }
            try reader.feed(mail[..<split], sink)
            try reader.feed(mail[split...], sink)
            try reader.finish(sink)
            #expect(String(decoding: body, as: UTF8.self) == expected, "split at \(split)")
        }
        for chunkSize in [1, 2, 3, 5] {
            #expect(try MIMEFixtures.events(mail, chunkSize: chunkSize) == whole)
        }
    }

    @Test("LF-only line ends are accepted; the LF before a delimiter belongs to it")
    func lineFeedOnly() throws {
        let text = """
            Subject: =?utf-8?q?LF_only?=
            Content-Type: multipart/mixed;
            \tboundary=xyz

            --xyz
            Content-Type: text/plain

            one
            two
            --xyz
            Content-Type: application/pdf
            Content-Transfer-Encoding: base64

            JVBE
            Ri0x
            --xyz--

            """
        for chunkSize in [1, 4, .max] {
            let message = try MIMEFixtures.read(Array(text.utf8), chunkSize: chunkSize)
            #expect(message.headers.subject == "LF only")
            #expect(message.parts.count == 2)
            #expect(message.text(0) == "one\ntwo")
            #expect(message.parts[1].body == Array("%PDF-1".utf8))
        }
    }

    @Test("A boundary string inside a line, or followed by other text, is content")
    func boundaryInsideLine() throws {
        let message = try MIMEFixtures.read(
            MIMEFixtures.crlf(
                """
                Content-Type: multipart/mixed; boundary="sep"

                --sep

                text --sep in the middle
                --separator is another word
                 --sep indented
                --sep-- trailing words
                ---sep
                --sep--

                """))
        #expect(message.parts.count == 1)
        #expect(
            message.text(0)
                == "text --sep in the middle\r\n--separator is another word\r\n --sep indented\r\n--sep-- trailing words\r\n---sep")
    }

    @Test("Transport padding after a delimiter is allowed; preamble and epilogue are ignored")
    func transportPadding() throws {
        let message = try MIMEFixtures.read(
            MIMEFixtures.crlf(
                "Content-Type: multipart/mixed; boundary=b\n\npreamble\n--b \t\nContent-Type: text/plain\n\nA\n--b--  \nepilogue\n--b\nnot a part\n"))
        #expect(message.parts.count == 1)
        #expect(message.text(0) == "A")
    }

    @Test("A part's bytes are exact: line breaks inside are kept, the one before the delimiter is not")
    func exactPartBytes() throws {
        let message = try MIMEFixtures.read(
            MIMEFixtures.crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n\n\nx\n\n--b\n\n--b--\n"))
        #expect(message.parts.count == 2)
        #expect(message.parts[0].body == MIMEFixtures.crlf("\n\nx\n"))
        #expect(message.parts[1].body.isEmpty)
        #expect(message.parts[0].part.contentType == .textPlain)
    }

    @Test("A bare CR is data, in headers and bodies")
    func bareCarriageReturn() throws {
        let bytes = Array("Subject: a\rb\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\ry\r\r\n\r--b\r\n--b--\r\n".utf8)
        for chunkSize in [1, 2, .max] {
            let message = try MIMEFixtures.read(bytes, chunkSize: chunkSize)
            #expect(message.headers.first("subject") == "a\rb")
            #expect(message.text(0) == "x\ry\r\r\n\r--b")
        }
    }

    @Test("A close-delimiter may end the message without a line break")
    func closeDelimiterAtEnd() throws {
        let message = try MIMEFixtures.read(Array("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--".utf8), chunkSize: 3)
        #expect(message.text(0) == "x")
    }

    @Test("message/rfc822 is a leaf delivered as is; multipart/digest parts default to message/rfc822")
    func messageParts() throws {
        let message = try MIMEFixtures.read(
            MIMEFixtures.crlf(
                """
                Content-Type: multipart/mixed; boundary=b

                --b
                Content-Type: message/rfc822

                Subject: inner
                Content-Type: multipart/mixed; boundary=c

                --c
                --c--
                --b
                Content-Type: multipart/digest; boundary=d

                --d

                Subject: digest entry

                hi
                --d--
                --b--
                """))
        #expect(message.parts.count == 2)
        #expect(message.parts[0].part.contentType == .messageRFC822)
        #expect(message.text(0) == "Subject: inner\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n--c--")
        #expect(message.parts[1].part.contentType.mediaType == "message/rfc822")
        #expect(message.text(1) == "Subject: digest entry\r\n\r\nhi")
    }

    @Test("A delimiter of an enclosing multipart also ends the multipart nested in it")
    func outerDelimiterClosesInner() throws {
        let message = try MIMEFixtures.read(
            MIMEFixtures.crlf(
                """
                Content-Type: multipart/mixed; boundary=outer

                --outer
                Content-Type: multipart/alternative; boundary=inner

                --inner

                a
                --outer

                b
                --outer--
                """))
        #expect(message.parts.map { String(decoding: $0.body, as: UTF8.self) } == ["a", "b"])
        #expect(message.parts.map(\.part.depth) == [2, 1])
    }

    @Test("Unknown transfer encodings are delivered as received")
    func unknownTransferEncoding() throws {
        let message = try MIMEFixtures.read(MIMEFixtures.crlf("Content-Transfer-Encoding: X-UUEncode (old)\n\nbegin 644 x\n=!@#\n"))
        #expect(message.parts[0].part.transferEncoding == "x-uuencode")
        #expect(message.text(0) == "begin 644 x\r\n=!@#\r\n")
    }

    @Test("A message of header fields only has one empty leaf part")
    func headersOnly() throws {
        let message = try MIMEFixtures.read(MIMEFixtures.crlf("Subject: ping\nFrom: a@b.ch\n"))
        #expect(message.headers.subject == "ping")
        #expect(message.parts.count == 1)
        #expect(message.parts[0].body.isEmpty)
    }

    @Test("Bytes arrive as they are fed: a part is reported before its end has arrived")
    func streamsBeforeTheEnd() throws {
        var reader = MIMEStreamReader()
        var events: [MIMEEvent] = []
        try reader.feed(MIMEFixtures.crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nfirst line\nsecond"), { events.append($0) })
        // "second" is content as soon as its first byte arrives, so the line break before it is too.
        #expect(events.last == .bodyBytes(MIMEFixtures.crlf("first line\nsecond")))
        events = []
        try reader.feed(MIMEFixtures.crlf(" half\n"), { events.append($0) })
        #expect(events == [.bodyBytes(Array(" half".utf8))])
        events = []
        try reader.feed(MIMEFixtures.crlf("--b--\n"), { events.append($0) })
        #expect(events == [.partEnd])
        try reader.finish { events.append($0) }
    }
}
