import Foundation
import MissiveMIME
import MissiveSOAP
import Testing

@Suite("SOAP request reader (pure state machine)")
struct SOAPRequestReaderTests {
    static let soap11 = "http://schemas.xmlsoap.org/soap/envelope/"
    static let soap12 = "http://www.w3.org/2003/05/soap-envelope"
    static let wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"

    /// Reads `xml` in chunks of `chunk` bytes; returns the reader and the documents' bytes.
    static func read(_ xml: String, chunk: Int = 5) throws -> (SOAPRequestReader, [Int: [UInt8]]) {
        var reader = SOAPRequestReader()
        var documents: [Int: [UInt8]] = [:]
        var fault: SOAPFault?
        let parser = XMLPushParser { event in
            do throws(SOAPFault) { try reader.consume(event) } catch {
                fault = error
                throw XMLReadError(.rejected, error.text)
            }
        }
        let bytes = Array(xml.utf8)
        var index = 0
        do {
            while index < bytes.count {
                try parser.feed(Array(bytes[index..<min(bytes.count, index + chunk)]))
                for (document, more) in reader.takeDocumentBytes() { documents[document, default: []] += more }
                index += chunk
            }
            try parser.finish()
            for (document, more) in reader.takeDocumentBytes() { documents[document, default: []] += more }
        } catch {
            if let fault { throw fault }
            throw error
        }
        return (reader, documents)
    }

    static func envelope(_ version: String, header: String = "", body: String) -> String {
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"\(version)\" xmlns:m=\"urn:missive:soap:v1\"><s:Header>\(header)</s:Header><s:Body>\(body)</s:Body></s:Envelope>"
    }

    @Test("SubmitLetter: version, fields as a tree, base64 documents streamed out", arguments: [1, 4, 64, 100_000])
    func submitLetter(chunk: Int) throws {
        let pdf = Array("%PDF-1.4\n1 0 obj<</Type /Page>>endobj\n%%EOF\n".utf8)
        let attachment = Array("%PDF-1.7 attachment\nendobj\n%%EOF".utf8)
        let base64 = Data(pdf).base64EncodedString(options: .lineLength64Characters)
        let body = """
        <m:SubmitLetter><m:clientReference>ref-1</m:clientReference><m:envelope><m:recipient><m:postal>
        <m:name>Anna Muster</m:name><m:street>Bahnhofstrasse</m:street><m:postcode>8001</m:postcode><m:town>Zürich</m:town>
        </m:postal></m:recipient><m:title>Vertrag</m:title></m:envelope>
        <m:document><m:filename>a.pdf</m:filename><m:content>\(base64)</m:content></m:document>
        <m:attachment><m:content>\(Data(attachment).base64EncodedString())</m:content></m:attachment></m:SubmitLetter>
        """
        let (reader, documents) = try Self.read(Self.envelope(Self.soap11, body: body), chunk: chunk)
        #expect(reader.isComplete)
        #expect(reader.version == .soap11)
        let operation = try #require(reader.operation)
        #expect(operation.name.local == "SubmitLetter")
        #expect(operation.value("clientReference") == "ref-1")
        #expect(operation.child("envelope")?.child("recipient")?.child("postal")?.value("town") == "Zürich")
        #expect(operation.child("document")?.value("filename") == "a.pdf")
        #expect(operation.child("document")?.child("content")?.text == "", "content is streamed, not kept")
        #expect(reader.documents == [.inline, .inline])
        #expect(documents[0] == pdf)
        #expect(documents[1] == attachment)
    }

    @Test("MTOM: an xop:Include names the MIME part")
    func mtomReference() throws {
        let body = "<m:SubmitLetter><m:envelope><m:recipient><m:uid>CHE-123.456.789</m:uid></m:recipient></m:envelope><m:document><m:content><xop:Include xmlns:xop=\"http://www.w3.org/2004/08/xop/include\" href=\"cid:doc%401\"/></m:content></m:document></m:SubmitLetter>"
        let (reader, documents) = try Self.read(Self.envelope(Self.soap12, body: body))
        #expect(reader.version == .soap12)
        #expect(reader.documents == [.attachment(contentID: "doc@1")])
        #expect(documents.isEmpty)
    }

    @Test("WS-Security UsernameToken with digest, nonce and created")
    func usernameToken() throws {
        let header = """
        <wsse:Security xmlns:wsse="\(Self.wsse)" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" s:mustUnderstand="1">
        <wsse:UsernameToken><wsse:Username>org_1</wsse:Username>
        <wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">ZGlnZXN0</wsse:Password>
        <wsse:Nonce>bm9uY2U=</wsse:Nonce><wsu:Created>2026-11-29T10:00:00Z</wsu:Created></wsse:UsernameToken></wsse:Security>
        """
        let (reader, _) = try Self.read(Self.envelope(Self.soap11, header: header, body: "<m:GetStatus><m:envelopeId>env_1</m:envelopeId></m:GetStatus>"))
        let token = try #require(reader.token)
        #expect(token.username == "org_1")
        #expect(token.password == "ZGlnZXN0")
        #expect(token.isDigest)
        #expect(token.nonce == "bm9uY2U=")
        #expect(token.created == "2026-11-29T10:00:00Z")
        #expect(reader.operation?.value("envelopeId") == "env_1")
    }

    @Test("faults: wrong root, unknown operation namespace, invalid base64, mustUnderstand, two operations")
    func faults() {
        func fault(_ xml: String) -> SOAPFault? {
            do { _ = try Self.read(xml); return nil } catch { return error as? SOAPFault }
        }
        #expect(fault("<x/>")?.kind == .versionMismatch)
        #expect(fault("<s:Envelope xmlns:s=\"urn:other\"><s:Body/></s:Envelope>")?.kind == .versionMismatch)
        #expect(fault(Self.envelope(Self.soap11, body: "<o:Op xmlns:o=\"urn:other\"/>"))?.code == "invalid_request")
        #expect(fault(Self.envelope(Self.soap11, body: "<m:SubmitLetter><m:document><m:content>!!!not base64</m:content></m:document></m:SubmitLetter>"))?.code == "invalid_document")
        #expect(fault(Self.envelope(Self.soap11, body: "<m:SubmitLetter><m:document><m:content>QUJD=</m:content></m:document></m:SubmitLetter>"))?.code == "invalid_document")
        #expect(fault(Self.envelope(Self.soap11, header: "<h:X xmlns:h=\"urn:h\" s:mustUnderstand=\"1\"/>", body: "<m:GetStatus/>"))?.kind == .mustUnderstand)
        #expect(fault(Self.envelope(Self.soap11, body: "<m:GetStatus/><m:GetStatus/>"))?.code == "invalid_request")
        #expect(fault(Self.envelope(Self.soap11, body: ""))?.code == "invalid_request")
    }

    @Test("base64 stream: any split, padding, whitespace; errors for junk and data after padding")
    func base64() throws {
        let data = Array((0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let text = Array(Data(data).base64EncodedString(options: .lineLength76Characters).utf8)
        for split in [1, 2, 3, 5, 77, 1000] {
            var stream = Base64Decoder()
            var output: [UInt8] = []
            var index = 0
            while index < text.count {
                try stream.decode(Array(text[index..<min(text.count, index + split)]), into: &output)
                index += split
            }
            try stream.finish()
            #expect(output == data)
        }
        var stream = Base64Decoder()
        var output: [UInt8] = []
        #expect(throws: MIMEError.self) { try stream.decode(Array("QQ==QUJD".utf8), into: &output) }
        var partial = Base64Decoder()
        try partial.decode(Array("QUJ".utf8), into: &output)
        #expect(throws: MIMEError.self) { try partial.finish() }
    }

    @Test("the Content-Type announces the version, also for MTOM")
    func contentTypes() {
        #expect(SOAPVersion.announced(byContentType: "text/xml; charset=utf-8") == .soap11)
        #expect(SOAPVersion.announced(byContentType: "application/soap+xml; charset=utf-8; action=\"urn:x\"") == .soap12)
        #expect(SOAPVersion.announced(byContentType: "multipart/related; type=\"application/xop+xml\"; start-info=\"application/soap+xml\"; boundary=x") == .soap12)
        #expect(SOAPVersion.announced(byContentType: "multipart/related; type=\"application/xop+xml\"; start-info=\"text/xml\"; boundary=x") == .soap11)
        #expect(SOAPVersion.announced(byContentType: "application/json") == nil)
    }
}
