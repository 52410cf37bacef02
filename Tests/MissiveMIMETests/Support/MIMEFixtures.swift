import Foundation
import MissiveMIME

/// Builds messages and reads them back for the tests.
enum MIMEFixtures {
    /// `text` with every LF turned into CRLF (write fixtures with plain newlines).
    static func crlf(_ text: String) -> [UInt8] {
        Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
    }

    /// Reads `message` fed in chunks of `chunkSize` bytes and returns the events, adjacent
    /// `bodyBytes` joined (their split depends on the chunking).
    static func events(_ message: [UInt8], chunkSize: Int = .max, limits: MIMELimits = MIMELimits()) throws -> [MIMEEvent] {
        var reader = MIMEStreamReader(limits: limits)
        var events: [MIMEEvent] = []
        let sink: (MIMEEvent) -> Void = { event in
            if case .bodyBytes(let more) = event, case .bodyBytes(let bytes)? = events.last {
                events[events.count - 1] = .bodyBytes(bytes + more)
            } else {
                events.append(event)
            }
        }
        var start = 0
        while start < message.count {
            let end = start + min(chunkSize, message.count - start)
            try reader.feed(message[start..<end], sink)
            start = end
        }
        try reader.finish(sink)
        return events
    }

    /// A message read whole: its headers and its leaf parts with their decoded bodies.
    struct Message {
        var headers: MIMEHeaders
        var parts: [(part: MIMEPart, body: [UInt8])]

        func text(_ index: Int) -> String { String(decoding: parts[index].body, as: UTF8.self) }
    }

    static func read(_ message: [UInt8], chunkSize: Int = .max, limits: MIMELimits = MIMELimits()) throws -> Message {
        var headers: MIMEHeaders?
        var parts: [(part: MIMEPart, body: [UInt8])] = []
        var open = false
        for event in try events(message, chunkSize: chunkSize, limits: limits) {
            switch event {
            case .messageHeaders(let block):
                precondition(headers == nil && parts.isEmpty, "messageHeaders must come once, first")
                headers = block
            case .partStart(let part):
                precondition(!open, "partStart inside a part")
                open = true
                parts.append((part, []))
            case .bodyBytes(let bytes):
                precondition(open, "bodyBytes outside a part")
                parts[parts.count - 1].body += bytes
            case .partEnd:
                precondition(open, "partEnd outside a part")
                open = false
            }
        }
        precondition(!open, "the last part did not end")
        return Message(headers: headers ?? MIMEHeaders(), parts: parts)
    }

    /// The MIMEError `body` throws, or nil.
    static func error(_ body: () throws -> Void) -> MIMEError? {
        do {
            try body()
            return nil
        } catch {
            return error as? MIMEError
        }
    }

    /// Deterministic pseudo-random bytes (SplitMix64), so failures reproduce.
    static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            withUnsafeBytes(of: z) { bytes.append(contentsOf: $0) }
        }
        return Array(bytes.prefix(count))
    }

    /// A small "PDF": a real header and trailer around random bytes.
    static func pdf(count: Int, seed: UInt64 = 1) -> [UInt8] {
        Array("%PDF-1.7\n%\u{E2}\u{E3}\n".utf8) + bytes(count: count, seed: seed) + Array("\n%%EOF\n".utf8)
    }

    /// base64 in 76-character lines with CRLF, as mailers write it.
    static func base64Lines(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
    }

    /// A multipart/mixed message: a text part and a base64 PDF attachment.
    static func mailWithPDF(_ pdf: [UInt8], boundary: String = "=_b0undary_42") -> [UInt8] {
        crlf(
            """
            From: Anna Muster <anna@example.ch>
            To: letters@missive.example
            Subject: Rechnung
            Message-ID: <abc.123@example.ch>
            MIME-Version: 1.0
            Content-Type: multipart/mixed;
             boundary="\(boundary)"

            This is a multi-part message in MIME format.
            --\(boundary)
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: 8bit

            Guten Tag
            anbei die Rechnung.
            --\(boundary)
            Content-Type: application/pdf; name="rechnung.pdf"
            Content-Disposition: attachment; filename="rechnung.pdf"
            Content-Transfer-Encoding: base64


            """) + Array(base64Lines(pdf).utf8) + crlf(
                """

                --\(boundary)--
                epilogue, ignored
                """)
    }
}
