import MissiveSOAP
import Testing

@Suite("XML push parser (libxml2 SAX2, secure options)")
struct XMLPushParserTests {
    /// Parses `text` fed in pieces of `chunk` bytes; returns the events (texts merged) or the error.
    static func parse(_ text: String, chunk: Int = 7, limits: XMLPushParser.Limits = .init()) -> Result<[XMLEvent], XMLReadError> {
        var events: [XMLEvent] = []
        let parser = XMLPushParser(limits: limits) { event in
            if case .text(let more) = event, case .text(let previous)? = events.last {
                events[events.count - 1] = .text(previous + more)
            } else {
                events.append(event)
            }
        }
        let bytes = Array(text.utf8)
        do throws(XMLReadError) {
            var index = 0
            while index < bytes.count {
                try parser.feed(Array(bytes[index..<min(bytes.count, index + chunk)]))
                index += chunk
            }
            try parser.finish()
            return .success(events)
        } catch {
            return .failure(error)
        }
    }

    static let soap = "http://schemas.xmlsoap.org/soap/envelope/"

    @Test("namespaces, attributes and text arrive the same whatever the chunk size", arguments: [1, 3, 7, 64, 4096])
    func events(chunk: Int) throws {
        let document = """
        <?xml version="1.0" encoding="UTF-8"?>
        <s:Envelope xmlns:s="\(Self.soap)" xmlns:m="urn:missive:soap:v1"><s:Body><m:GetStatus a="1"><m:envelopeId>env_&amp;x</m:envelopeId></m:GetStatus></s:Body></s:Envelope>
        """
        let events = try Self.parse(document, chunk: chunk).get()
        #expect(events == [
            .start(XMLName(Self.soap, "Envelope"), attributes: []),
            .start(XMLName(Self.soap, "Body"), attributes: []),
            .start(XMLName("urn:missive:soap:v1", "GetStatus"), attributes: [XMLAttribute(XMLName("", "a"), "1")]),
            .start(XMLName("urn:missive:soap:v1", "envelopeId"), attributes: []),
            .text(Array("env_&x".utf8)),
            .end(XMLName("urn:missive:soap:v1", "envelopeId")),
            .end(XMLName("urn:missive:soap:v1", "GetStatus")),
            .end(XMLName(Self.soap, "Body")),
            .end(XMLName(Self.soap, "Envelope")),
        ])
    }

    @Test("XXE: a DOCTYPE with an external entity is refused, nothing is read from disk")
    func externalEntity() {
        let document = """
        <?xml version="1.0"?>
        <!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
        <r>&x;</r>
        """
        guard case .failure(let error) = Self.parse(document) else { Issue.record("accepted"); return }
        #expect(error.code == .doctype)
        #expect(!error.description.contains("root:"))
    }

    @Test("billion laughs is refused at its DOCTYPE")
    func billionLaughs() {
        var entities = "<!ENTITY lol \"lol\">"
        for level in 1...9 {
            entities += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level == 1 ? "" : String(level - 1));", count: 10) + "\">"
        }
        let document = "<?xml version=\"1.0\"?><!DOCTYPE lolz [\(entities)]><lolz>&lol9;</lolz>"
        guard case .failure(let error) = Self.parse(document, chunk: 4096) else { Issue.record("accepted"); return }
        #expect(error.code == .doctype)
    }

    @Test("an undeclared entity reference is refused")
    func undeclaredEntity() {
        guard case .failure = Self.parse("<r>&nope;</r>") else { Issue.record("accepted"); return }
    }

    @Test("nesting deeper than the limit is refused")
    func deepNesting() {
        let document = String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40)
        guard case .failure(let error) = Self.parse(document, chunk: 4096) else { Issue.record("accepted"); return }
        #expect(error.code == .tooDeep)
        #expect((try? Self.parse(String(repeating: "<a>", count: 30) + String(repeating: "</a>", count: 30)).get()) != nil)
    }

    @Test("a huge element name is refused")
    func hugeName() {
        let name = String(repeating: "n", count: 10_000)
        guard case .failure(let error) = Self.parse("<\(name)/>", chunk: 4096) else { Issue.record("accepted"); return }
        #expect(error.code == .nameTooLong || error.code == .malformed)
    }

    @Test("too many attributes are refused")
    func attributes() {
        let attributes = (0..<40).map { "a\($0)=\"1\"" }.joined(separator: " ")
        guard case .failure(let error) = Self.parse("<r \(attributes)/>", chunk: 4096) else { Issue.record("accepted"); return }
        #expect(error.code == .tooManyAttributes)
    }

    @Test("not XML, truncated XML and an empty body are refused", arguments: ["this is not xml", "<r><a>unfinished</a>", "", "<r></s>", "<r/><r/>"])
    func malformed(text: String) {
        guard case .failure(let error) = Self.parse(text) else { Issue.record("accepted \(text)"); return }
        #expect([.malformed, .truncated].contains(error.code), "\(error)")
    }

    @Test("a refusal by the handler stops the parse with that error")
    func handlerRefusal() {
        let parser = XMLPushParser { event in
            if case .start(let name, _) = event, name.local == "stop" { throw XMLReadError(.rejected, "no") }
        }
        #expect(throws: XMLReadError.self) {
            try parser.feed(Array("<r><stop/></r>".utf8))
            try parser.finish()
        }
    }
}
