import MissiveSOAP
import Testing

@Suite("MTOM multipart/related splitter")
struct MultipartRelatedSplitterTests {
    static let body = Array((
        "preamble\r\n--b0undary\r\nContent-Type: application/xop+xml\r\nContent-ID: <root>\r\n\r\n<env/>\r\n"
        + "--b0undary\r\nContent-ID: <doc@1>\r\n\r\n%PDF-1.4 \r\n--b0und not a boundary\r\n--b0undary--\r\nepilogue"
    ).utf8)

    static func split(chunk: Int) throws -> [MultipartRelatedSplitter.Event] {
        var splitter = MultipartRelatedSplitter(boundary: "b0undary")
        var events: [MultipartRelatedSplitter.Event] = []
        var index = 0
        while index < body.count {
            events += try splitter.feed(Array(body[index..<min(body.count, index + chunk)]))
            index += chunk
        }
        #expect(splitter.isComplete)
        // Merge body pieces so every chunk size compares equal.
        var merged: [MultipartRelatedSplitter.Event] = []
        for event in events {
            if case .body(let more) = event, case .body(let previous)? = merged.last {
                merged[merged.count - 1] = .body(previous + more)
            } else {
                merged.append(event)
            }
        }
        return merged
    }

    @Test("parts, headers and bodies are the same whatever the chunk size", arguments: [1, 2, 5, 9, 64, 10_000])
    func chunks(chunk: Int) throws {
        #expect(try Self.split(chunk: chunk) == [
            .headers(["content-type": "application/xop+xml", "content-id": "<root>"]),
            .body(Array("<env/>".utf8)),
            .partEnd,
            .headers(["content-id": "<doc@1>"]),
            .body(Array("%PDF-1.4 \r\n--b0und not a boundary".utf8)),
            .partEnd,
            .end,
        ])
    }

    @Test("a malformed boundary line is a client fault")
    func malformed() {
        var splitter = MultipartRelatedSplitter(boundary: "x")
        #expect(throws: SOAPFault.self) { _ = try splitter.feed(Array("--xjunk\r\n".utf8)) }
    }

    /// Found by fuzzing (fuzz/crashes/soap/): with the whole body in one chunk, a malformed
    /// boundary line after the envelope part threw before the envelope was handed out, so
    /// the client got `invalid_request` instead of the envelope's own fault (e.g.
    /// VersionMismatch), which it got when the body arrived in smaller chunks.
    @Test("events before a malformed boundary line come out first; the fault follows", arguments: [1, 7, 10_000])
    func faultAfterEvents(chunk: Int) throws {
        let body = Array("--x\r\nContent-ID: <root>\r\n\r\n<env/>\r\n--xjunk\r\nrest".utf8)
        var splitter = MultipartRelatedSplitter(boundary: "x")
        var events: [MultipartRelatedSplitter.Event] = []
        var fault: SOAPFault?
        do {
            for start in stride(from: 0, to: body.count, by: chunk) {
                events += try splitter.feed(Array(body[start..<min(body.count, start + chunk)]))
            }
            try splitter.finish()
        } catch {
            fault = error
        }
        #expect(events.first == .headers(["content-id": "<root>"]))
        #expect(events.last == .partEnd)
        #expect(fault?.code == "invalid_request")
        #expect(throws: SOAPFault.self) { _ = try splitter.feed([0x41]) }
    }

    /// Found while fuzzing: one byte other than padding right before the CR passed as
    /// transport padding (`--x-` CRLF started a part), two or more were refused.
    @Test("only spaces and tabs may follow the boundary on its line", arguments: ["--x-\r\n", "--xj\r\n", "--x \t-\r\n", "--x\r\r\n"])
    func junkAfterBoundary(line: String) {
        var splitter = MultipartRelatedSplitter(boundary: "x")
        #expect(throws: SOAPFault.self) { _ = try splitter.feed(Array(line.utf8)) }
    }

    @Test("padding after the boundary", arguments: ["--x \t\r\n", "--x\r\n", "--x  \r\n"])
    func padding(line: String) throws {
        var splitter = MultipartRelatedSplitter(boundary: "x")
        #expect(try splitter.feed(Array((line + "Content-ID: <a>\r\n\r\n").utf8)) == [.headers(["content-id": "<a>"])])
    }

    @Test("finish: complete, truncated")
    func finish() throws {
        var splitter = MultipartRelatedSplitter(boundary: "x")
        _ = try splitter.feed(Array("--x\r\nContent-ID: <a>\r\n\r\nbody".utf8))
        #expect(throws: SOAPFault.self) { try splitter.finish() }
        _ = try splitter.feed(Array("\r\n--x--".utf8))
        try splitter.finish()
    }
}
