import MissiveCore

/// Reads a SOAP body: feeds the XML reader, and streams each inline document into its own
/// blob writer as it is decoded, so no document is ever held whole in memory.
struct SOAPIntake {
    let blobs: any BlobStore
    let settings: SOAPEndpoint.Settings
    var reader = SOAPRequestReader()
    var writers: [any BlobWriter] = []
    var inspectors: [PDFInspector] = []

    init(blobs: any BlobStore, settings: SOAPEndpoint.Settings) {
        self.blobs = blobs
        self.settings = settings
    }

    mutating func read(_ body: some AsyncSequence<ArraySlice<UInt8>, any Error>) async throws {
        var fault: SOAPFault?
        var reader = self.reader
        let parser = XMLPushParser { event in
            do throws(SOAPFault) { try reader.consume(event) } catch {
                fault = error
                throw XMLReadError(.rejected, error.text)
            }
        }
        do {
            for try await chunk in body {
                try parser.feed(Array(chunk))
                self.reader = reader
                try await flush(&reader)
            }
            try parser.finish()
            self.reader = reader
            try await flush(&reader)
        } catch let error as XMLReadError {
            self.reader = reader
            if let fault { throw fault }
            throw SOAPFault(.client, Self.describe(error), code: "invalid_request")
        }
        self.reader = reader
    }

    static func describe(_ error: XMLReadError) -> String {
        switch error.code {
        case .doctype: "DOCTYPE and entity declarations are not accepted."
        case .tooDeep, .nameTooLong, .tooManyAttributes: error.reason
        case .malformed, .truncated, .rejected: "The body is not a well-formed XML document."
        }
    }

    private mutating func flush(_ reader: inout SOAPRequestReader) async throws {
        for (index, bytes) in reader.takeDocumentBytes() {
            guard index <= settings.maxAttachments * settings.maxBatchItems else {
                throw SOAPFault(.client, "Too many documents.", code: "invalid_request")
            }
            while writers.count <= index {
                writers.append(try blobs.makeWriter(limit: settings.maxDocumentBytes))
                inspectors.append(PDFInspector())
            }
            try await writers[index].write(bytes)
            inspectors[index].consume(bytes)
        }
        self.reader = reader
    }

    /// Finishes the documents with indexes in `range` into durable, checked blobs.
    mutating func documents(_ range: Range<Int>) async throws -> [DocumentRef] {
        var refs: [DocumentRef] = []
        for index in range {
            guard index < reader.documents.count else { throw SOAPFault(.client, "A document has no content.", code: "invalid_request") }
            guard case .inline = reader.documents[index] else { throw SOAPFault(.client, "MTOM is not supported yet.", code: "unsupported_media_type") }
            while writers.count <= index {
                writers.append(try blobs.makeWriter(limit: settings.maxDocumentBytes))
                inspectors.append(PDFInspector())
            }
            let hasObjects = inspectors[index].hasObjects
            let blob = try await writers[index].finish { head, tail in
                try PDFInspector.validate(head: head, tail: tail)
                guard hasObjects else { throw MissiveError(.invalidDocument, "The PDF contains no objects.") }
            }
            refs.append(DocumentRef(role: refs.isEmpty ? .main : .attachment, filename: nil, mediaType: "application/pdf", byteSize: blob.byteSize, sha256: blob.sha256, pageCount: inspectors[index].pageCount, storageKey: blob.storageKey))
        }
        return refs
    }

    func discard() async {
        for writer in writers { await writer.discard() }
    }
}
