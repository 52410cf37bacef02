/// A small element of a SOAP request body: name, text and children. Documents never live
/// in this tree; their bytes are streamed out of the reader as they arrive.
public struct SOAPElement: Sendable, Equatable {
    public var name: XMLName
    public var attributes: [XMLAttribute]
    public var text: String
    public var children: [SOAPElement]

    public init(name: XMLName, attributes: [XMLAttribute] = [], text: String = "", children: [SOAPElement] = []) {
        self.name = name
        self.attributes = attributes
        self.text = text
        self.children = children
    }

    /// The first child with this local name.
    public func child(_ local: String) -> SOAPElement? {
        children.first { $0.name.local == local }
    }

    /// All children with this local name.
    public func children(_ local: String) -> [SOAPElement] {
        children.filter { $0.name.local == local }
    }

    /// The trimmed text of a child, nil when absent.
    public func value(_ local: String) -> String? {
        child(local).map { $0.text.trimmingWhitespace }
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
