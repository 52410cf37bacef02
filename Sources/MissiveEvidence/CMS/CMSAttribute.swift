import SwiftASN1

/// A CMS `Attribute ::= SEQUENCE { attrType OID, attrValues SET OF ANY }` (RFC 5652 §5.3).
struct CMSAttribute: DERImplicitlyTaggable, Hashable, Sendable {
    static var defaultIdentifier: ASN1Identifier { .sequence }

    var type: ASN1ObjectIdentifier
    var values: [ASN1Any]

    init(type: ASN1ObjectIdentifier, values: [ASN1Any]) {
        self.type = type
        self.values = values
    }

    init(type: ASN1ObjectIdentifier, value: some DERSerializable) throws {
        self.init(type: type, values: [try ASN1Any(erasing: value)])
    }

    init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let type = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let values = try DER.set(of: ASN1Any.self, identifier: .set, nodes: &nodes)
            return CMSAttribute(type: type, values: values)
        }
    }

    func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(type)
            try coder.serializeSetOf(values)
        }
    }
}

extension Array where Element == CMSAttribute {
    /// The single value of the attribute of `type`, if exactly one such attribute exists.
    func singleValue(of type: ASN1ObjectIdentifier) -> ASN1Any? {
        let matches = filter { $0.type == type }
        guard matches.count == 1, matches[0].values.count == 1 else { return nil }
        return matches[0].values[0]
    }

    /// The DER encoding of these attributes as a `SET OF`, sorted, as signed (RFC 5652 §5.4).
    func derSetEncoding() throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.serializeSetOf(self)
        return coder.serializedBytes
    }
}
