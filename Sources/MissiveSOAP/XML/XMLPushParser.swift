import CLibXML2

/// A streaming, secure XML reader over libxml2's SAX2 push parser. Bytes are fed as they
/// arrive; events are delivered to `handler` synchronously while feeding, so a large
/// base64 element never has to be held whole in memory.
///
/// Security: no network (`XML_PARSE_NONET`), no entity substitution, no DTD loading — a
/// document with a DOCTYPE is refused before any declaration is processed (XXE, billion
/// laughs); depth, name length and attribute count are bounded.
///
/// Not `Sendable`: one parser belongs to one request.
public final class XMLPushParser {
    /// Bounds on what a document may contain.
    public struct Limits: Sendable {
        public var maxDepth: Int
        public var maxNameLength: Int
        public var maxAttributes: Int

        public init(maxDepth: Int = 32, maxNameLength: Int = 256, maxAttributes: Int = 32) {
            self.maxDepth = maxDepth
            self.maxNameLength = maxNameLength
            self.maxAttributes = maxAttributes
        }
    }

    let limits: Limits
    let handler: (XMLEvent) throws -> Void
    private var context: xmlParserCtxtPtr?
    private var sax = xmlSAXHandler()
    var depth = 0
    var failure: XMLReadError?
    var rootClosed = false
    private var started = false

    public init(limits: Limits = Limits(), handler: @escaping (XMLEvent) throws -> Void) {
        self.limits = limits
        self.handler = handler
        Self.installCallbacks(&sax)
    }

    deinit {
        if let context { xmlFreeParserCtxt(context) }
    }

    /// Feeds the next bytes of the document.
    public func feed(_ bytes: UnsafeRawBufferPointer) throws(XMLReadError) {
        if let failure { throw failure }
        guard bytes.count > 0 else { return }
        if context == nil {
            // The first chunk creates the context (libxml2 sniffs the encoding from it).
            let head = min(bytes.count, 4)
            let created = bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: head) { pointer in
                xmlCreatePushParserCtxt(&sax, Unmanaged.passUnretained(self).toOpaque(), pointer, Int32(head), nil)
            }
            guard let created else { throw XMLReadError(.malformed, "The XML parser could not start.") }
            context = created
            // Entities are never substituted (no XML_PARSE_NOENT), DTDs never loaded (no
            // XML_PARSE_DTDLOAD) and refused in the callbacks anyway.
            let options = Int32(bitPattern: XML_PARSE_NONET.rawValue | XML_PARSE_NOCDATA.rawValue)
            xmlCtxtUseOptions(created, options)
            started = true
            try parse(UnsafeRawBufferPointer(rebasing: bytes[head...]), terminate: false)
            return
        }
        try parse(bytes, terminate: false)
    }

    /// Feeds bytes from an array.
    public func feed(_ bytes: [UInt8]) throws(XMLReadError) {
        var failure: XMLReadError?
        bytes.withUnsafeBytes { buffer in
            do throws(XMLReadError) { try feed(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Ends the document: throws if it is not complete and well-formed.
    public func finish() throws(XMLReadError) {
        if let failure { throw failure }
        guard started else { throw XMLReadError(.truncated, "The body is empty.") }
        try parse(UnsafeRawBufferPointer(start: nil, count: 0), terminate: true)
        guard rootClosed else { throw XMLReadError(.truncated, "The XML document ended before its root element closed.") }
    }

    private func parse(_ bytes: UnsafeRawBufferPointer, terminate: Bool) throws(XMLReadError) {
        guard let context else { return }
        let status: Int32 = if let base = bytes.baseAddress, bytes.count > 0 {
            base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { xmlParseChunk(context, $0, Int32(bytes.count), terminate ? 1 : 0) }
        } else {
            xmlParseChunk(context, nil, 0, terminate ? 1 : 0)
        }
        if let failure { throw failure }
        if status != 0 || context.pointee.wellFormed == 0 {
            let error = XMLReadError(.malformed, "The body is not well-formed XML (libxml2 error \(status)).")
            failure = error
            throw error
        }
    }

    /// Stops parsing with `error` (from inside a callback).
    func fail(_ error: XMLReadError) {
        if failure == nil { failure = error }
        if let context { xmlStopParser(context) }
    }
}
