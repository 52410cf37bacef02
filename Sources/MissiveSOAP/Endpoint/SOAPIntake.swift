import Foundation
import MissiveCore

/// Reads a SOAP body — plain XML or an MTOM/XOP package — and streams each document into
/// its own blob writer as it arrives (inline base64 as it is decoded, MTOM parts as their
/// bytes come), so no document is ever held whole in memory.
package struct SOAPIntake {
    let blobs: any BlobStore
    let settings: SOAPEndpoint.Settings
    package var reader = SOAPRequestReader()
    /// Writers by document index (0 = the first document of the body).
    var writers: [Int: any BlobWriter] = [:]
    var inspectors: [Int: PDFInspector] = [:]
    /// MTOM parts received, by document index.
    var received: Set<Int> = []

    package init(blobs: any BlobStore, settings: SOAPEndpoint.Settings) {
        self.blobs = blobs
        self.settings = settings
    }

    /// A parser that feeds `reader`; SOAP faults raised by the reader come back through `fault`.
    private static func parser(_ reader: Box<SOAPRequestReader>, _ fault: Box<SOAPFault?>) -> XMLPushParser {
        XMLPushParser { event in
            do throws(SOAPFault) { try reader.value.consume(event) } catch {
                fault.value = error
                throw XMLReadError(.rejected, error.text)
            }
        }
    }

    /// Reads a plain SOAP body.
    package mutating func read(_ body: some AsyncSequence<ArraySlice<UInt8>, any Error>) async throws {
        let box = Box(reader)
        let fault = Box<SOAPFault?>(nil)
        let parser = Self.parser(box, fault)
        do {
            for try await chunk in body {
                try parser.feed(Array(chunk))
                try await flush(box)
            }
            try parser.finish()
            try await flush(box)
        } catch let error as XMLReadError {
            reader = box.value
            throw fault.value ?? SOAPFault(.client, Self.describe(error), code: "invalid_request")
        }
        reader = box.value
    }

    /// Reads an MTOM/XOP package: the first part is the SOAP envelope, the others are the
    /// documents it references with `xop:Include href="cid:…"`.
    package mutating func readMTOM(_ body: some AsyncSequence<ArraySlice<UInt8>, any Error>, boundary: String) async throws {
        var splitter = MultipartRelatedSplitter(boundary: boundary)
        let box = Box(reader)
        let fault = Box<SOAPFault?>(nil)
        let parser = Self.parser(box, fault)
        var part = -1
        var current: Int?
        do {
            for try await chunk in body {
                for event in try splitter.feed(Array(chunk)) {
                    switch event {
                    case .headers(let headers):
                        part += 1
                        if part == 0 {
                            guard headers["content-type"]?.lowercased().hasPrefix("application/xop+xml") ?? false else {
                                throw SOAPFault(.client, "The first MTOM part must be the application/xop+xml envelope.", code: "invalid_request")
                            }
                            continue
                        }
                        let contentID = (headers["content-id"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
                        guard let index = box.value.documents.firstIndex(of: .attachment(contentID: contentID)) else {
                            throw SOAPFault(.client, "An MTOM part is not referenced by the envelope.", code: "invalid_request")
                        }
                        guard !received.contains(index) else { throw SOAPFault(.client, "An MTOM part appears twice.", code: "invalid_request") }
                        received.insert(index)
                        writers[index] = try blobs.makeWriter(limit: settings.maxDocumentBytes)
                        inspectors[index] = PDFInspector()
                        current = index
                    case .body(let bytes):
                        if part == 0 {
                            try parser.feed(bytes)
                            try await flush(box)
                        } else if let current {
                            try await writers[current]!.write(bytes)
                            inspectors[current]!.consume(bytes)
                        }
                    case .partEnd:
                        if part == 0 {
                            try parser.finish()
                            try await flush(box)
                        }
                        current = nil
                    case .end:
                        break
                    }
                }
            }
            try splitter.finish()
            guard part >= 0 else {
                throw SOAPFault(.client, "The MTOM package is truncated.", code: "invalid_request")
            }
        } catch let error as XMLReadError {
            reader = box.value
            throw fault.value ?? SOAPFault(.client, Self.describe(error), code: "invalid_request")
        }
        reader = box.value
        for (index, source) in reader.documents.enumerated() {
            if case .attachment = source, !received.contains(index) {
                throw SOAPFault(.client, "An xop:Include references an MTOM part that was not sent.", code: "invalid_request")
            }
        }
    }

    static func describe(_ error: XMLReadError) -> String {
        switch error.code {
        case .doctype: "DOCTYPE and entity declarations are not accepted."
        case .tooDeep, .nameTooLong, .tooManyAttributes: error.reason
        case .malformed, .truncated, .rejected: "The body is not a well-formed XML document."
        }
    }

    /// Writes the inline bytes decoded so far.
    private mutating func flush(_ box: Box<SOAPRequestReader>) async throws {
        for (index, bytes) in box.value.takeDocumentBytes() {
            guard index <= settings.maxAttachments * settings.maxBatchItems else {
                throw SOAPFault(.client, "Too many documents.", code: "invalid_request")
            }
            if writers[index] == nil {
                writers[index] = try blobs.makeWriter(limit: settings.maxDocumentBytes)
                inspectors[index] = PDFInspector()
            }
            try await writers[index]!.write(bytes)
            inspectors[index]!.consume(bytes)
        }
    }

    /// Finishes the documents with indexes in `range` into durable, checked blobs.
    package mutating func documents(_ range: Range<Int>) async throws -> [DocumentRef] {
        var refs: [DocumentRef] = []
        for index in range {
            guard index < reader.documents.count else { throw SOAPFault(.client, "A document has no content.", code: "invalid_request") }
            if writers[index] == nil {
                writers[index] = try blobs.makeWriter(limit: settings.maxDocumentBytes)
                inspectors[index] = PDFInspector()
            }
            let hasObjects = inspectors[index]!.hasObjects
            let blob = try await writers[index]!.finish { head, tail in
                try PDFInspector.validate(head: head, tail: tail)
                guard hasObjects else { throw MissiveError(.invalidDocument, "The PDF contains no objects.") }
            }
            refs.append(DocumentRef(role: refs.isEmpty ? .main : .attachment, filename: nil, mediaType: "application/pdf", byteSize: blob.byteSize, sha256: blob.sha256, pageCount: inspectors[index]!.pageCount, storageKey: blob.storageKey))
        }
        return refs
    }

    package func discard() async {
        for writer in writers.values { await writer.discard() }
    }
}

/// A reference cell for state shared between the parser's callback and the intake.
final class Box<Value> {
    var value: Value
    init(_ value: Value) { self.value = value }
}
