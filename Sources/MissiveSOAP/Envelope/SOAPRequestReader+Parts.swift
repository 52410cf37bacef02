import Foundation
import MissiveMIME

extension SOAPRequestReader {
    mutating func header(_ event: XMLEvent, depth: Int) throws(SOAPFault) {
        switch event {
        case .start(let name, let attributes):
            if depth == 0 {
                // A header block we do not understand but must: refuse (SOAP 1.1 §4.2.3, 1.2 §5.2.3).
                let must = attributes.first { $0.name.local == "mustUnderstand" && $0.name.namespace == version!.namespace }
                if name != XMLName(Self.wsse, "Security"), let must, must.value == "1" || must.value == "true" {
                    throw SOAPFault(.mustUnderstand, "Header \(name.local.prefix(64)) is not understood.")
                }
                if name == XMLName(Self.wsse, "Security") { token = token ?? UsernameToken() }
            }
            headerPath.append(name.local)
            if name.local == "Password", name.namespace == Self.wsse {
                let type = attributes.first { $0.name.local == "Type" }?.value ?? ""
                token?.isDigest = type.hasSuffix("#PasswordDigest")
            }
            textBytes = 0
            state = .header(depth: depth + 1)
        case .text(let bytes):
            guard headerPath.count >= 2, headerPath.first == "Security", token != nil else { return }
            textBytes += bytes.count
            guard textBytes <= 4096 else { throw SOAPFault(.client, "A security header value is too long.", code: "invalid_request") }
            let text = String(decoding: bytes, as: UTF8.self)
            guard var current = token else { return }
            // Security/UsernameToken/{Username, Password, Nonce, Created}, Security/Timestamp/Expires
            // (a Timestamp's own Created is not the token's).
            let parent = headerPath.count >= 2 ? headerPath[headerPath.count - 2] : ""
            switch (parent, headerPath.last) {
            case ("UsernameToken", "Username"): current.username += text
            case ("UsernameToken", "Password"): current.password += text
            case ("UsernameToken", "Nonce"): current.nonce = (current.nonce ?? "") + text
            case ("UsernameToken", "Created"): current.created = (current.created ?? "") + text
            case ("Timestamp", "Expires"): current.expires = (current.expires ?? "") + text
            default: break
            }
            token = current
        case .end:
            if depth == 0 {
                state = .envelope
                return
            }
            headerPath.removeLast()
            state = .header(depth: depth - 1)
        }
    }

    mutating func operationEvent(_ event: XMLEvent) throws(SOAPFault) {
        switch event {
        case .start(let name, let attributes):
            if streaming != nil {
                // Inside a document's content only an MTOM xop:Include may appear.
                guard name == XMLName(Self.xop, "Include"), let href = attributes.first(where: { $0.name.local == "href" })?.value,
                      href.hasPrefix("cid:")
                else { throw SOAPFault(.client, "Document content must be base64 text or one xop:Include.", code: "invalid_document") }
                let contentID = String(href.dropFirst(4)).removingPercentEncodingIfPossible
                documents[documents.count - 1] = .attachment(contentID: contentID)
                stack.append(SOAPElement(name: name, attributes: attributes))
                return
            }
            guard name.namespace == Self.namespace else {
                throw SOAPFault(.client, "Unknown element \(name.local.prefix(64)) (namespace must be \(Self.namespace)).", code: "invalid_request")
            }
            let parent = stack.last?.name.local
            if name.local == "content", parent == "document" || parent == "attachment" {
                flushDecoded()
                documents.append(.inline)
                streaming = Base64Decoder()
            }
            textBytes = 0
            stack.append(SOAPElement(name: name, attributes: attributes))
        case .text(let bytes):
            if streaming != nil {
                guard case .inline = documents.last else {
                    guard bytes.allSatisfy(Self.isSpace) else { throw SOAPFault(.client, "Text beside an xop:Include.", code: "invalid_document") }
                    return
                }
                do { try streaming!.decode(bytes, into: &decoded) } catch {
                    throw SOAPFault(.client, "A document's content is not valid base64.", code: "invalid_document")
                }
                return
            }
            textBytes += bytes.count
            guard textBytes <= maxTextBytes else { throw SOAPFault(.client, "An element's text is longer than \(maxTextBytes) bytes.", code: "invalid_request") }
            stack[stack.count - 1].text += String(decoding: bytes, as: UTF8.self)
        case .end:
            let element = stack.removeLast()
            if streaming != nil, element.name.local == "content", element.name.namespace == Self.namespace {
                do { try streaming!.finish() } catch {
                    throw SOAPFault(.client, "A document's content is not valid base64.", code: "invalid_document")
                }
                streaming = nil
            }
            guard let parent = stack.indices.last else {
                operation = element
                state = .afterOperation
                return
            }
            if element.name.namespace == Self.namespace {
                stack[parent].children.append(element)
            }
        }
    }
}

extension String {
    var removingPercentEncodingIfPossible: String {
        removingPercentEncoding ?? self
    }
}
