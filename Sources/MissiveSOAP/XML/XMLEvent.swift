/// One event of the streaming XML reader: what the SOAP machine sees of a document.
public enum XMLEvent: Equatable, Sendable {
    /// An element starts. `namespace` is its namespace URI (empty for none).
    case start(XMLName, attributes: [XMLAttribute])
    /// Character data inside the current element, in pieces of any size.
    case text([UInt8])
    /// The current element ends.
    case end(XMLName)
}

/// A namespace-qualified name.
public struct XMLName: Hashable, Sendable, CustomStringConvertible {
    public var namespace: String
    public var local: String

    public init(_ namespace: String, _ local: String) {
        self.namespace = namespace
        self.local = local
    }

    public var description: String { namespace.isEmpty ? local : "{\(namespace)}\(local)" }
}

/// An attribute of an element.
public struct XMLAttribute: Hashable, Sendable {
    public var name: XMLName
    public var value: String

    public init(_ name: XMLName, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Why an XML document was refused. The description never quotes the document.
public struct XMLReadError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Not well-formed (libxml2 said so).
        case malformed
        /// A DOCTYPE or entity declaration: refused outright (XXE, billion laughs).
        case doctype
        /// Deeper than the limit.
        case tooDeep
        /// A name longer than the limit.
        case nameTooLong
        /// More attributes than the limit.
        case tooManyAttributes
        /// The document ended before its root element closed.
        case truncated
        /// The consumer of the events refused the document.
        case rejected
    }

    public var code: Code
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
