import MissiveMIME
/// The pure state machine that reads a SOAP request from XML events: the version, the
/// WS-Security UsernameToken, the operation element as a small tree — and the documents,
/// whose base64 (or MTOM `xop:Include` references) it streams out instead of keeping them.
///
/// The I/O layer feeds events (from ``XMLPushParser``) and, after each chunk, takes the
/// decoded document bytes with ``takeDocumentBytes()``.
public struct SOAPRequestReader: Sendable {
    /// The namespace of Missive's SOAP messages.
    public static let namespace = "urn:missive:soap:v1"
    static let wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    static let wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    static let xop = "http://www.w3.org/2004/08/xop/include"

    /// What the header said about the caller.
    public struct UsernameToken: Sendable, Equatable {
        public var username: String = ""
        public var password: String = ""
        /// True for `#PasswordDigest`.
        public var isDigest = false
        public var nonce: String?
        public var created: String?
        /// `wsu:Timestamp/wsu:Expires` of the same Security header.
        public var expires: String?
    }

    /// A document of the request: where its bytes come from.
    public enum DocumentSource: Sendable, Equatable {
        /// Inline base64, streamed out as it is decoded.
        case inline
        /// MTOM: the MIME part with this Content-ID (without `cid:`).
        case attachment(contentID: String)
    }

    enum State: Sendable {
        case prolog
        case envelope
        case header(depth: Int)
        case body
        case operation
        case afterOperation
        case afterBody
        case done
    }

    public let maxTextBytes: Int
    public private(set) var version: SOAPVersion?
    public internal(set) var token: UsernameToken?
    /// The operation element (e.g. `SubmitLetter`) without document contents.
    public internal(set) var operation: SOAPElement?
    /// One entry per `document`/`attachment` content, in document order.
    public internal(set) var documents: [DocumentSource] = []
    var state = State.prolog
    var stack: [SOAPElement] = []
    var headerPath: [String] = []
    var streaming: Base64Decoder?
    var decoded: [UInt8] = []
    var ready: [(index: Int, bytes: [UInt8])] = []
    var textBytes = 0

    public init(maxTextBytes: Int = 64 * 1024) {
        self.maxTextBytes = maxTextBytes
    }

    /// The document bytes decoded since the last call, in order, each with its document's
    /// index (0 = main document). One chunk may end one document and start the next.
    public mutating func takeDocumentBytes() -> [(index: Int, bytes: [UInt8])] {
        flushDecoded()
        defer { ready.removeAll() }
        return ready
    }

    /// Moves the bytes decoded for the current document to `ready`.
    mutating func flushDecoded() {
        guard !decoded.isEmpty else { return }
        let index = documents.count - 1
        if let last = ready.indices.last, ready[last].index == index {
            ready[last].bytes += decoded
        } else {
            ready.append((index, decoded))
        }
        decoded.removeAll(keepingCapacity: true)
    }

    /// Whether the whole envelope was read.
    public var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// Consumes one event.
    public mutating func consume(_ event: XMLEvent) throws(SOAPFault) {
        switch state {
        case .prolog:
            guard case .start(let name, _) = event, name.local == "Envelope", let version = SOAPVersion(namespace: name.namespace) else {
                throw SOAPFault(.versionMismatch, "The root element must be a SOAP 1.1 or 1.2 Envelope.")
            }
            self.version = version
            state = .envelope
        case .envelope:
            switch event {
            case .start(let name, _) where name == XMLName(version!.namespace, "Header"):
                state = .header(depth: 0)
            case .start(let name, _) where name == XMLName(version!.namespace, "Body"):
                state = .body
            case .text(let bytes) where bytes.allSatisfy(Self.isSpace):
                break
            case .start, .text, .end:
                throw SOAPFault(.client, "The Envelope holds one optional Header and one Body.")
            }
        case .header(let depth):
            try header(event, depth: depth)
        case .body:
            switch event {
            case .start(let name, let attributes):
                guard name.namespace == Self.namespace else {
                    throw SOAPFault(.client, "Unknown operation \(name.local.prefix(64)); see the WSDL at /soap?wsdl.", code: "invalid_request")
                }
                stack = [SOAPElement(name: name, attributes: attributes)]
                state = .operation
            case .text(let bytes) where bytes.allSatisfy(Self.isSpace):
                break
            case .end:
                throw SOAPFault(.client, "The Body is empty.", code: "invalid_request")
            case .text:
                throw SOAPFault(.client, "Text directly inside the Body.", code: "invalid_request")
            }
        case .operation:
            try operationEvent(event)
        case .afterOperation:
            switch event {
            case .end:
                state = .afterBody
            case .text(let bytes) where bytes.allSatisfy(Self.isSpace):
                break
            case .start, .text:
                throw SOAPFault(.client, "The Body holds exactly one operation element.", code: "invalid_request")
            }
        case .afterBody:
            switch event {
            case .end:
                state = .done
            case .text(let bytes) where bytes.allSatisfy(Self.isSpace):
                break
            case .start, .text:
                throw SOAPFault(.client, "Nothing may follow the Body.", code: "invalid_request")
            }
        case .done:
            throw SOAPFault(.client, "Content after the Envelope.", code: "invalid_request")
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
