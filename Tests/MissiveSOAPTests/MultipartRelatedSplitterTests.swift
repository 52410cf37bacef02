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
}
