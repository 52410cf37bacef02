import Foundation
import MissiveMIME
import Testing

@Suite("MIMEStreamReader: errors and limits")
struct MIMEStreamReaderErrorTests {
    private func kind(_ text: String, limits: MIMELimits = MIMELimits(), chunkSize: Int = .max) -> MIMEError.Kind? {
        MIMEFixtures.error { _ = try MIMEFixtures.events(MIMEFixtures.crlf(text), chunkSize: chunkSize, limits: limits) }?.kind
    }

    @Test("multipart without a boundary parameter")
    func missingBoundary() {
        #expect(kind("Content-Type: multipart/mixed\n\n--x\n\nbody\n--x--\n") == .missingBoundary)
        #expect(kind("Content-Type: multipart/mixed; boundary=\"\"\n\nbody\n") == .missingBoundary)
        let long = String(repeating: "b", count: 201)
        #expect(kind("Content-Type: multipart/mixed; boundary=\(long)\n\n--\(long)--\n") == .missingBoundary)
        #expect(kind("Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/related\n\nx\n--a--\n") == .missingBoundary)
    }

    @Test("A multipart that ends before its close-delimiter", arguments: [1, 5, Int.max])
    func unterminatedMultipart(chunkSize: Int) {
        #expect(kind("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nbody\n", chunkSize: chunkSize) == .unterminatedMultipart)
        #expect(kind("Content-Type: multipart/mixed; boundary=b\n\npreamble only\n", chunkSize: chunkSize) == .unterminatedMultipart)
        #expect(kind("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nbody\n--b-", chunkSize: chunkSize) == .unterminatedMultipart)
    }

    @Test("Invalid base64: a bad character, data after padding, misplaced padding, an incomplete quantum")
    func invalidBase64() {
        let head = "Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
        #expect(kind(head + "JVBE Ri0x\nLjQK\n") == nil)
        #expect(kind(head + "JVBE*i0x\n") == .invalidBase64)
        #expect(kind(head + "JVBERg==\nJVBE\n") == .invalidBase64)
        #expect(kind(head + "JV=ERi0x\n") == .invalidBase64)
        #expect(kind(head + "J===\n") == .invalidBase64)
        #expect(kind(head + "JVBERi0\n") == .invalidBase64)
        #expect(kind(head + "JVBERg=\n") == .invalidBase64)
        let multipart = "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: base64\n\nJVBERi0\n--b--\n"
        let error = MIMEFixtures.error { _ = try MIMEFixtures.events(MIMEFixtures.crlf(multipart)) }
        #expect(error?.kind == .invalidBase64)
        #expect(error?.reason.hasPrefix("part 0:") == true)
    }

    @Test("Nesting deeper than maxDepth")
    func tooDeep() {
        func nested(_ depth: Int) -> String {
            var text = "Content-Type: multipart/mixed; boundary=b0\n\n"
            for level in 1..<depth {
                text += "--b\(level - 1)\nContent-Type: multipart/mixed; boundary=b\(level)\n\n"
            }
            text += "--b\(depth - 1)\n\nleaf\n"
            for level in (0..<depth).reversed() { text += "--b\(level)--\n" }
            return text
        }
        #expect(kind(nested(10)) == nil)
        #expect(kind(nested(11)) == .tooDeep)
        #expect(kind(nested(3), limits: MIMELimits(maxDepth: 2)) == .tooDeep)
        let message = try? MIMEFixtures.read(MIMEFixtures.crlf(nested(10)))
        #expect(message?.parts.first?.part.depth == 10)
    }

    @Test("More leaf parts than maxParts")
    func tooManyParts() {
        let parts = (0..<201).map { "--b\n\npart \($0)\n" }.joined()
        #expect(kind("Content-Type: multipart/mixed; boundary=b\n\n" + parts + "--b--\n") == .tooManyParts)
        #expect(kind("Content-Type: multipart/mixed; boundary=b\n\n" + parts.dropLast(0) + "--b--\n", limits: MIMELimits(maxParts: 201)) == nil)
    }

    @Test("A header block larger than maxHeaderBytes, or with too many fields")
    func headerLimits() {
        let field = "X-Filler: " + String(repeating: "x", count: 1000) + "\n"
        #expect(kind(String(repeating: field, count: 70) + "\nbody") == .headerTooLarge)
        #expect(kind(String(repeating: field, count: 60) + "\nbody") == nil)
        let folded = "Subject: a\n" + String(repeating: " " + String(repeating: "y", count: 1000) + "\n", count: 70) + "\nbody"
        #expect(kind(folded) == .headerTooLarge)
        #expect(kind(String(repeating: "X-A: 1\n", count: 501) + "\nbody") == .tooManyFields)
        #expect(kind(String(repeating: "X-A: 1\n", count: 500) + "\nbody") == nil)
        let part = "Content-Type: multipart/mixed; boundary=b\n\n--b\n" + String(repeating: "X-A: 1\n", count: 11) + "\nx\n--b--\n"
        #expect(kind(part, limits: MIMELimits(maxHeaderFields: 10)) == .tooManyFields)
    }

    @Test("A header line longer than maxLineBytes, whole or arriving in pieces", arguments: [1000, Int.max])
    func headerLineTooLong(chunkSize: Int) {
        let line = "Subject: " + String(repeating: "z", count: 17_000) + "\n\nbody"
        #expect(kind(line, chunkSize: chunkSize) == .lineTooLong)
        #expect(kind("Subject: " + String(repeating: "z", count: 17_000), chunkSize: chunkSize) == .lineTooLong)
    }

    @Test("A possible delimiter line with endless padding is too long; long content lines stream")
    func delimiterLineTooLong() throws {
        let padding = String(repeating: " ", count: 20_000)
        #expect(kind("Content-Type: multipart/mixed; boundary=b\n\n--b" + padding + "\n--b--\n", chunkSize: 4096) == .lineTooLong)
        let longLine = String(repeating: "-", count: 100_000)
        let message = try MIMEFixtures.read(
            MIMEFixtures.crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n\(longLine)\n--b--\n"), chunkSize: 4096)
        #expect(message.parts[0].body.count == 100_000)
    }

    @Test("Header lines without a colon, continuation before any field, bad field names")
    func malformedHeader() {
        #expect(kind("Subject: x\nthis line has no colon\n\nbody") == .malformedHeader)
        #expect(kind(" folded: before anything\n\nbody") == .malformedHeader)
        #expect(kind(": no name\n\nbody") == .malformedHeader)
        #expect(kind("Bad Name: x\n\nbody") == .malformedHeader)
        #expect(kind("Content-Type: multipart/mixed; boundary=b\n\n--b\nno colon in a part\n\nx\n--b--\n") == .malformedHeader)
        #expect(kind("Subject : obsolete space before the colon\n\nbody") == nil)
    }

    @Test("A header block that never ends, an empty message")
    func truncated() {
        #expect(kind("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n") == .truncated)
        #expect(kind("Subject: cut in the mid") == .truncated)
        #expect(kind("") == .truncated)
    }

    @Test("Reasons name the structure, never the content")
    func reasonsHoldNoContent() {
        let secret = "geheim@example.ch"
        let cases = [
            "From: \(secret)\n\(secret)\n\nx",
            "Content-Type: multipart/mixed; boundary=\(secret)\n\n--\(secret)\n\n\(secret)\n",
            "Content-Transfer-Encoding: base64\n\n\(secret)\n",
            "X-\(secret) x: 1\n\nx",
        ]
        for text in cases {
            let error = MIMEFixtures.error { _ = try MIMEFixtures.events(MIMEFixtures.crlf(text)) }
            #expect(error != nil)
            #expect(error?.reason.contains("geheim") == false)
            #expect(error?.description.contains("geheim") == false)
        }
    }

    @Test("The sink's error is rethrown unchanged; afterwards the reader stays failed")
    func sinkErrors() throws {
        struct BlobWriteFailed: Error, Equatable {}
        var reader = MIMEStreamReader()
        #expect(throws: BlobWriteFailed()) {
            try reader.feed(MIMEFixtures.crlf("Subject: x\n\nbody\n")) { event in
                if case .bodyBytes = event { throw BlobWriteFailed() }
            }
        }
        #expect(throws: MIMEError.self) { try reader.feed([0x41]) { _ in } }
        #expect(throws: MIMEError.self) { try reader.finish { _ in } }

        var failed = MIMEStreamReader()
        let first = MIMEFixtures.error { try failed.feed(MIMEFixtures.crlf("no colon\n\n")) { _ in } }
        let second = MIMEFixtures.error { try failed.finish { _ in } }
        #expect(first?.kind == .malformedHeader)
        #expect(second == first)
    }
}
