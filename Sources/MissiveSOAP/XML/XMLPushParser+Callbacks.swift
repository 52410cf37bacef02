import CLibXML2

extension XMLPushParser {
    static func parser(_ context: UnsafeMutableRawPointer?) -> XMLPushParser? {
        guard let context else { return nil }
        return Unmanaged<XMLPushParser>.fromOpaque(context).takeUnretainedValue()
    }

    static func string(_ pointer: UnsafePointer<xmlChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }

    /// Wires the SAX2 callbacks. Every callback finds its parser through the user data.
    static func installCallbacks(_ sax: inout xmlSAXHandler) {
        sax.initialized = UInt32(XML_SAX2_MAGIC)
        sax.startElementNs = { context, localName, _, uri, _, _, attributeCount, _, attributes in
            guard let parser = XMLPushParser.parser(context), parser.failure == nil else { return }
            let local = XMLPushParser.string(localName)
            let namespace = XMLPushParser.string(uri)
            parser.depth += 1
            if parser.depth > parser.limits.maxDepth {
                return parser.fail(XMLReadError(.tooDeep, "Elements are nested deeper than \(parser.limits.maxDepth) levels."))
            }
            if local.utf8.count > parser.limits.maxNameLength {
                return parser.fail(XMLReadError(.nameTooLong, "An element name is longer than \(parser.limits.maxNameLength) bytes."))
            }
            if Int(attributeCount) > parser.limits.maxAttributes {
                return parser.fail(XMLReadError(.tooManyAttributes, "An element has more than \(parser.limits.maxAttributes) attributes."))
            }
            var list: [XMLAttribute] = []
            if let attributes {
                for index in 0..<Int(attributeCount) {
                    let base = index * 5
                    let name = XMLPushParser.string(attributes[base])
                    let namespace = XMLPushParser.string(attributes[base + 2])
                    guard let start = attributes[base + 3], let end = attributes[base + 4] else { continue }
                    let value = String(decoding: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self)
                    list.append(XMLAttribute(XMLName(namespace, name), value))
                }
            }
            do {
                try parser.handler(.start(XMLName(namespace, local), attributes: list))
            } catch {
                parser.fail(error as? XMLReadError ?? XMLReadError(.rejected, "\(error)"))
            }
        }
        sax.endElementNs = { context, localName, _, uri in
            guard let parser = XMLPushParser.parser(context), parser.failure == nil else { return }
            parser.depth -= 1
            if parser.depth == 0 { parser.rootClosed = true }
            do {
                try parser.handler(.end(XMLName(XMLPushParser.string(uri), XMLPushParser.string(localName))))
            } catch {
                parser.fail(error as? XMLReadError ?? XMLReadError(.rejected, "\(error)"))
            }
        }
        sax.characters = { context, characters, length in
            guard let parser = XMLPushParser.parser(context), parser.failure == nil, let characters, length > 0 else { return }
            do {
                try parser.handler(.text(Array(UnsafeBufferPointer(start: characters, count: Int(length)))))
            } catch {
                parser.fail(error as? XMLReadError ?? XMLReadError(.rejected, "\(error)"))
            }
        }
        sax.cdataBlock = sax.characters
        // No DTDs at all: a DOCTYPE is where XXE and entity expansion attacks live.
        sax.internalSubset = { context, _, _, _ in
            XMLPushParser.parser(context)?.fail(XMLReadError(.doctype, "DOCTYPE declarations are not accepted."))
        }
        sax.externalSubset = { context, _, _, _ in
            XMLPushParser.parser(context)?.fail(XMLReadError(.doctype, "External DTDs are not accepted."))
        }
        sax.entityDecl = { context, _, _, _, _, _ in
            XMLPushParser.parser(context)?.fail(XMLReadError(.doctype, "Entity declarations are not accepted."))
        }
        sax.getEntity = { context, _ in
            XMLPushParser.parser(context)?.fail(XMLReadError(.doctype, "Entity references are not accepted."))
            return nil
        }
        sax.processingInstruction = nil
        sax.comment = nil
        sax.serror = { _, _ in }  // errors are reported through xmlParseChunk's status
        sax.warning = nil
    }
}
