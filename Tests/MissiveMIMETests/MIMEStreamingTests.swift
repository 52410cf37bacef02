import Foundation
import MissiveMIME
import Testing

@Suite("MIMEStreamReader: streaming and memory")
struct MIMEStreamingTests {
    @Test("A 25 MB base64 attachment streams in 64 KiB chunks within a small memory bound")
    func largeAttachment() throws {
        let pdf = MIMEFixtures.pdf(count: 25 * 1024 * 1024, seed: 7)
        let mail = MIMEFixtures.mailWithPDF(pdf)
        let chunkSize = 64 * 1024
        var reader = MIMEStreamReader()
        var decoded = 0
        var largestEvent = 0
        var largestBuffer = 0
        var matches = true
        var partIndex = -1
        var offset = 0
        while offset < mail.count {
            let end = min(offset + chunkSize, mail.count)
            try reader.feed(mail[offset..<end]) { event in
                switch event {
                case .partStart(let part): partIndex = part.index
                case .bodyBytes(let bytes):
                    largestEvent = max(largestEvent, bytes.count)
                    if partIndex == 1 {
                        matches = matches && pdf[decoded..<(decoded + bytes.count)].elementsEqual(bytes)
                        decoded += bytes.count
                    }
                case .messageHeaders, .partEnd: break
                }
            }
            largestBuffer = max(largestBuffer, reader.bufferedByteCount)
            offset = end
        }
        try reader.finish { _ in }
        #expect(decoded == pdf.count)
        #expect(matches)
        #expect(largestEvent <= chunkSize)
        #expect(largestBuffer <= 8 * 1024, "the reader held \(largestBuffer) bytes between chunks")
    }

    @Test("Large chunks are reported in bounded events")
    func largeChunk() throws {
        let body = MIMEFixtures.bytes(count: 1_000_000, seed: 3)
        var message = MIMEFixtures.crlf("Content-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n")
        message += body
        var reader = MIMEStreamReader()
        var sizes: [Int] = []
        var received: [UInt8] = []
        try reader.feed(message) { event in
            if case .bodyBytes(let bytes) = event {
                sizes.append(bytes.count)
                received += bytes
            }
        }
        try reader.finish { _ in }
        #expect(received == body)
        #expect(sizes.allSatisfy { $0 <= 64 * 1024 })
    }

    @Test("A binary part with long lines and stray CRs streams exactly in any chunking")
    func binaryPart() throws {
        var body = MIMEFixtures.bytes(count: 50_000, seed: 11)
        body += [ASCII.cr, ASCII.cr, ASCII.lf, ASCII.cr]
        let mail = MIMEFixtures.crlf("Content-Type: multipart/mixed; boundary=\"bin\"\n\n--bin\nContent-Transfer-Encoding: binary\n\n")
            + body + MIMEFixtures.crlf("\n--bin--\n")
        for chunkSize in [1, 13, 4096, .max] {
            let message = try MIMEFixtures.read(mail, chunkSize: chunkSize)
            #expect(message.parts.count == 1)
            #expect(message.parts[0].body == body, "chunk size \(chunkSize)")
        }
    }

    @Test("Random chunkings of a complex message give the same events", arguments: 0..<20)
    func randomChunking(seed: Int) throws {
        let mail = Self.complexMessage
        let whole = try MIMEFixtures.events(mail)
        var reader = MIMEStreamReader()
        var events: [MIMEEvent] = []
        let sink: (MIMEEvent) -> Void = { event in
            if case .bodyBytes(let more) = event, case .bodyBytes(let bytes)? = events.last {
                events[events.count - 1] = .bodyBytes(bytes + more)
            } else {
                events.append(event)
            }
        }
        let sizes = MIMEFixtures.bytes(count: mail.count, seed: UInt64(seed) + 100)
        var offset = 0
        var turn = 0
        while offset < mail.count {
            let size = 1 + Int(sizes[turn % sizes.count]) % (seed % 2 == 0 ? 8 : 300)
            let end = min(offset + size, mail.count)
            try reader.feed(mail[offset..<end], sink)
            offset = end
            turn += 1
        }
        try reader.finish(sink)
        #expect(events == whole)
    }

    static let complexMessage: [UInt8] = MIMEFixtures.crlf(
        """
        From: "Muster, Anna" <anna@example.ch>
        Subject: =?iso-8859-1?q?Gr=FC=DFe?= und =?utf-8?b?4oKs?=
        Content-Type: multipart/mixed; boundary="--==outer"

        preamble
        ----==outer
        Content-Type: multipart/alternative; boundary=alt

        --alt
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: quoted-printable

        Gr=C3=BCezi =
        mitenand=20
        --alt
        Content-Type: text/html; charset=utf-8

        <p>--alt is not a delimiter here</p>
        ---alt
        --alt--
        ----==outer
        Content-Type: application/pdf; name*0*=utf-8''Rechnung%20; name*1*=%E2%82%AC.pdf
        Content-Transfer-Encoding: base64

        JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCg==
        ----==outer--
        epilogue

        """)
}

private enum ASCII {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10
}
