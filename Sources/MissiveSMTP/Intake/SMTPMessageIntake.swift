import Foundation
import MissiveCore
import MissiveMIME

/// Reads one message as it arrives and streams its PDF parts into blob writers (so a 25 MB
/// attachment is never held in memory), then turns it into one envelope draft per
/// recipient. The first PDF is the letter, later PDFs are attachments; `Subject` is the
/// title; `Message-ID` (with the recipient) the idempotency reference; a `missive.json`
/// part or `X-Missive-*` headers may add the recipient, kind, title and reference.
struct SMTPMessageIntake {
    struct Limits: Sendable {
        var maxDocumentBytes: Int64
        var maxAttachments: Int
    }

    struct Document {
        var writer: any BlobWriter
        var inspector = PDFInspector()
        var filename: String?
    }

    let blobs: any BlobStore
    let limits: Limits
    var reader = MIMEStreamReader()
    var headers: MIMEHeaders?
    var documents: [Document] = []
    /// The document the current part is written to; nil while a part is skipped.
    var current: Int?
    var manifest: [UInt8]?
    var collectingManifest = false
    /// The first failure; everything after it is ignored and the message refused.
    var failure: SMTPRejection?

    init(blobs: any BlobStore, limits: Limits) {
        self.blobs = blobs
        self.limits = limits
    }

    /// Feeds message bytes (never throws: a failure is kept and reported at the end).
    mutating func feed(_ bytes: [UInt8]) async {
        guard failure == nil else { return }
        var events: [MIMEEvent] = []
        do {
            try reader.feed(bytes) { events.append($0) }
        } catch {
            failure = Self.rejection(error)
        }
        await handle(events)
    }

    /// The end of the message: finishes the documents and returns what was read.
    mutating func finish() async -> Result<ReadMessage, SMTPRejection> {
        if failure == nil {
            var events: [MIMEEvent] = []
            do {
                try reader.finish { events.append($0) }
            } catch {
                failure = Self.rejection(error)
            }
            await handle(events)
        }
        if let failure {
            await discard()
            return .failure(failure)
        }
        guard let headers, !documents.isEmpty else {
            await discard()
            return .failure(SMTPRejection(SMTPReply(554, "5.6.0", "The message has no PDF attachment")))
        }
        var refs: [DocumentRef] = []
        for (index, document) in documents.enumerated() {
            do {
                let hasObjects = document.inspector.hasObjects
                let blob = try await document.writer.finish { head, tail in
                    try PDFInspector.validate(head: head, tail: tail)
                    guard hasObjects else { throw MissiveError(.invalidDocument, "The PDF contains no objects.") }
                }
                refs.append(DocumentRef(role: index == 0 ? .main : .attachment, filename: document.filename, mediaType: "application/pdf", byteSize: blob.byteSize, sha256: blob.sha256, pageCount: document.inspector.pageCount, storageKey: blob.storageKey))
            } catch {
                for later in documents[(index + 1)...] { await later.writer.discard() }
                if let error = error as? MissiveError, error.code == .unavailable {
                    // Storing failed (a full disk), not the PDF: the sender should try again.
                    return .failure(SMTPRejection(SMTPReply(452, "4.3.1", "Insufficient system storage; try again later")))
                }
                return .failure(SMTPRejection(SMTPReply(554, "5.6.0", "Attachment \(index + 1) is not a usable PDF")))
            }
        }
        return .success(ReadMessage(headers: headers, documents: refs, manifest: manifest))
    }

    /// Abandons every document written so far.
    func discard() async {
        for document in documents { await document.writer.discard() }
    }

    private mutating func handle(_ events: [MIMEEvent]) async {
        for event in events {
            guard failure == nil else { return }
            switch event {
            case .messageHeaders(let headers):
                self.headers = headers
            case .partStart(let part):
                current = nil
                collectingManifest = false
                if part.filename?.lowercased() == "missive.json" || part.contentType.mediaType == "application/vnd.missive+json" {
                    collectingManifest = manifest == nil
                    if collectingManifest { manifest = [] }
                } else if Self.isPDF(part) {
                    guard documents.count <= limits.maxAttachments else {
                        failure = SMTPRejection(SMTPReply(552, "5.3.4", "At most \(limits.maxAttachments) PDF attachments besides the letter"))
                        return
                    }
                    do {
                        documents.append(Document(writer: try blobs.makeWriter(limit: limits.maxDocumentBytes), filename: part.filename))
                        current = documents.count - 1
                    } catch {
                        failure = SMTPRejection(SMTPReply(451, "4.3.0", "Cannot store the message now; try again later"))
                    }
                }
            case .bodyBytes(let bytes):
                if collectingManifest {
                    guard (manifest?.count ?? 0) + bytes.count <= 64 * 1024 else {
                        failure = SMTPRejection(SMTPReply(554, "5.6.0", "missive.json is larger than 64 KiB"))
                        return
                    }
                    manifest?.append(contentsOf: bytes)
                } else if let index = current {
                    documents[index].inspector.consume(bytes)
                    do {
                        try await documents[index].writer.write(bytes)
                    } catch let error as MissiveError where error.code == .tooLarge {
                        failure = SMTPRejection(SMTPReply(552, "5.3.4", "A PDF is larger than \(limits.maxDocumentBytes) bytes"))
                    } catch {
                        failure = SMTPRejection(SMTPReply(452, "4.3.1", "Insufficient system storage; try again later"))
                    }
                }
            case .partEnd:
                current = nil
                collectingManifest = false
            }
        }
    }

    static func isPDF(_ part: MIMEPart) -> Bool {
        let type = part.contentType.mediaType
        if type == "application/pdf" || type == "application/x-pdf" { return true }
        return type == "application/octet-stream" && part.filename?.lowercased().hasSuffix(".pdf") == true
    }

    static func rejection(_ error: any Error) -> SMTPRejection {
        if let rejection = error as? SMTPRejection { return rejection }
        if let error = error as? MIMEError {
            return SMTPRejection(SMTPReply(554, "5.6.0", "Malformed MIME: \(error.reason)"))
        }
        return SMTPRejection(SMTPReply(451, "4.3.0", "Cannot read the message now; try again later"))
    }
}

/// A message whose documents are durable, ready to become envelopes.
struct ReadMessage: Sendable {
    var headers: MIMEHeaders
    var documents: [DocumentRef]
    var manifest: [UInt8]?
}
