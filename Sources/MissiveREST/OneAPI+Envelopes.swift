import Foundation
import MissiveCore
import OpenAPIRuntime

extension OneAPI {
    public func createEnvelope(_ input: Operations.CreateEnvelope.Input) async throws -> Operations.CreateEnvelope.Output {
        let (organisation, key, mode) = try RequestPrincipal.organisation(.sender)
        let idempotencyKey = try input.headers.idempotencyKey.map(Self.checkedIdempotencyKey)
        // Busy: refused before the documents are read and stored (submit checks again).
        try postOffice.admission.check()
        let (submission, documents) = try await readSubmission(input.body)
        let draft = Wire.draft(submission, documents: documents, idempotencyKey: idempotencyKey)
        let result = try await postOffice.submit(draft, organisation: organisation, principal: key, mode: mode) { envelope in
            try Self.snapshotEncoder.encode(Wire.envelope(envelope))
        }
        switch result {
        case .accepted(let envelope):
            return .accepted(.init(headers: .init(location: "/v1/envelopes/\(envelope.id)"), body: .json(Wire.envelope(envelope))))
        case .replayed(let envelope, let first):
            let body = first.flatMap { try? Self.snapshotDecoder.decode(Components.Schemas.Envelope.self, from: $0) } ?? Wire.envelope(envelope)
            return .accepted(.init(headers: .init(idempotentReplayed: ._true, location: "/v1/envelopes/\(envelope.id)"), body: .json(body)))
        }
    }

    static let snapshotEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }()
    static let snapshotDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()

    static func checkedIdempotencyKey(_ key: String) throws -> String {
        guard !key.isEmpty, key.utf8.count <= 255, key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw MissiveError(.invalidRequest, "Idempotency-Key must be 1 to 255 printable ASCII characters.", pointer: "Idempotency-Key")
        }
        return key
    }

    /// Reads the envelope part and streams every document into the blob store.
    func readSubmission(_ body: Operations.CreateEnvelope.Input.Body) async throws -> (Components.Schemas.EnvelopeSubmission, [DocumentRef]) {
        var submission: Components.Schemas.EnvelopeSubmission?
        var documents: [DocumentRef] = []
        switch body {
        case .multipartForm(let parts):
            do {
                for try await part in parts {
                    switch part {
                    case .envelope(let envelope):
                        guard submission == nil else { throw MissiveError(.invalidRequest, "Send one envelope part.", pointer: "envelope") }
                        submission = envelope.payload.body
                    case .document(let document):
                        guard !documents.contains(where: { $0.role == .main }) else { throw MissiveError(.invalidRequest, "Send one document part; further PDFs go in attachment parts.", pointer: "document") }
                        documents.append(try await store(document.payload.body, role: .main, filename: document.filename, part: "document"))
                    case .attachment(let attachment):
                        guard documents.count(where: { $0.role == .attachment }) < settings.maxAttachments else {
                            throw MissiveError(.invalidRequest, "At most \(settings.maxAttachments) attachments.", pointer: "attachment")
                        }
                        documents.append(try await store(attachment.payload.body, role: .attachment, filename: attachment.filename, part: "attachment"))
                    }
                }
            } catch let error as MissiveError {
                throw error
            } catch let error as DecodingError {
                throw APIProblemError.decoding(error, prefix: "/envelope")
            } catch {
                let cause = String(describing: error).lowercased()
                if cause.contains("content type") || cause.contains("content-type") {
                    throw MissiveError(.unsupportedMediaType, "A part has the wrong Content-Type: envelope is application/json, document and attachment are application/pdf.")
                }
                throw MissiveError(.invalidRequest, "The multipart body is malformed or lacks its envelope or document part.")
            }
        case .json(let inline):
            guard (inline.attachments ?? []).count <= settings.maxAttachments else {
                throw MissiveError(.invalidRequest, "At most \(settings.maxAttachments) attachments.", pointer: "/attachments")
            }
            submission = inline.envelope
            documents.append(try await store(inline.document, role: .main, part: "/document"))
            for (index, attachment) in (inline.attachments ?? []).enumerated() {
                documents.append(try await store(attachment, role: .attachment, part: "/attachments/\(index)"))
            }
        }
        guard let submission else { throw MissiveError(.invalidRequest, "The envelope part is missing.", pointer: "envelope") }
        guard documents.contains(where: { $0.role == .main }) else { throw MissiveError(.invalidRequest, "The document part is missing.", pointer: "document") }
        return (submission, documents)
    }

    private func store(_ inline: Components.Schemas.InlineDocument, role: DocumentRef.Role, part: String) async throws -> DocumentRef {
        if let filename = inline.filename, filename.unicodeScalars.count > 255 || filename.hasControlCharacters {
            throw MissiveError(.invalidRequest, "filename must be at most 255 characters without control characters.", pointer: "\(part)/filename")
        }
        let bytes = inline.content.data
        return try await store(HTTPBody(bytes), role: role, filename: inline.filename, part: part)
    }

    /// Streams a document into the blob store, checking size and PDF shape on the way.
    private func store(_ body: HTTPBody, role: DocumentRef.Role, filename: String?, part: String) async throws -> DocumentRef {
        let writer = try postOffice.ports.blobs.makeWriter(limit: settings.maxDocumentBytes)
        var inspector = PDFInspector()
        do {
            for try await chunk in body {
                try await writer.write(chunk)
                inspector.consume(chunk)
            }
            let hasObjects = inspector.hasObjects
            let blob = try await writer.finish { head, tail in
                do { try PDFInspector.validate(head: head, tail: tail) } catch let error as MissiveError {
                    throw MissiveError(error.code, error.reason, pointer: part)
                }
                guard hasObjects else {
                    throw MissiveError(.invalidDocument, "The PDF contains no objects.", pointer: part)
                }
            }
            let name = filename.map { String($0.prefix(255)).filter { !$0.isNewline } }
            return DocumentRef(role: role, filename: name, mediaType: "application/pdf", byteSize: blob.byteSize, sha256: blob.sha256, pageCount: inspector.pageCount, storageKey: blob.storageKey)
        } catch {
            await writer.discard()
            throw error
        }
    }

    public func listEnvelopes(_ input: Operations.ListEnvelopes.Input) async throws -> Operations.ListEnvelopes.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(Roles.readers)
        let query = input.query
        try Self.check(query.cursor, max: 128, "cursor")
        try Self.check(query.reference, max: 100, "reference")
        let cursor = try query.cursor.map { raw -> EnvelopeID in
            guard let id = EnvelopeID(rawValue: raw) else { throw MissiveError(.invalidRequest, "Unknown cursor.", pointer: "cursor") }
            return id
        }
        let filter = EnvelopeFilter(
            status: query.status.flatMap { EnvelopeStatus(rawValue: $0.rawValue) }, kind: query.kind.flatMap { EnvelopeKind(rawValue: $0.rawValue) },
            channel: query.channel.flatMap { Channel(rawValue: $0.rawValue) }, createdAfter: query.createdAfter, createdBefore: query.createdBefore, reference: query.reference
        )
        let limit = try Self.limit(query.limit)
        let envelopes = try await postOffice.ports.envelopes.envelopes(of: organisation, filter: filter, after: cursor, limit: limit)
        let next = envelopes.count == limit ? envelopes.last?.id.rawValue : nil
        return .ok(.init(body: .json(.init(items: envelopes.map(Wire.envelope), nextCursor: next))))
    }

    public func getEnvelope(_ input: Operations.GetEnvelope.Input) async throws -> Operations.GetEnvelope.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(Roles.readers)
        let envelope = try await postOffice.envelope(try Wire.id(input.path.envelopeId, as: EnvelopeID.self), organisation: organisation)
        return .ok(.init(body: .json(Wire.envelope(envelope))))
    }

    public func cancelEnvelope(_ input: Operations.CancelEnvelope.Input) async throws -> Operations.CancelEnvelope.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.sender)
        let envelope = try await postOffice.cancel(try Wire.id(input.path.envelopeId, as: EnvelopeID.self), organisation: organisation)
        return .ok(.init(body: .json(Wire.envelope(envelope))))
    }

    public func listEnvelopeEvents(_ input: Operations.ListEnvelopeEvents.Input) async throws -> Operations.ListEnvelopeEvents.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(Roles.readers)
        let id = try Wire.id(input.path.envelopeId, as: EnvelopeID.self)
        _ = try await postOffice.envelope(id, organisation: organisation)
        let events = try await postOffice.ports.envelopes.events(of: id, organisation: organisation)
        return .ok(.init(body: .json(.init(items: events.map(Wire.event), nextCursor: events.last?.id.rawValue))))
    }

    public func listEvents(_ input: Operations.ListEvents.Input) async throws -> Operations.ListEvents.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(Roles.readers)
        try Self.check(input.query.after, max: 64, "after")
        let after = try input.query.after.map { raw -> EventID in
            guard let id = EventID(rawValue: raw) else { throw MissiveError(.invalidRequest, "Unknown cursor.", pointer: "after") }
            return id
        }
        let events: [StatusEvent]
        do {
            events = try await postOffice.ports.envelopes.feed(of: organisation, after: after, type: input.query._type.flatMap { EventType(rawValue: $0.rawValue) }, limit: try Self.limit(input.query.limit))
        } catch let error as MissiveError where error.code == .invalidField {
            throw MissiveError(.invalidRequest, error.reason, pointer: "after")
        }
        return .ok(.init(body: .json(.init(items: events.map(Wire.event), nextCursor: events.last?.id.rawValue ?? input.query.after))))
    }
}

/// Builds problems for decoding errors inside multipart parts (with the part's pointer).
enum APIProblemError {
    static func decoding(_ error: DecodingError, prefix: String) -> MissiveError {
        let problem = APIProblem(decoding: error)
        if problem.errors == nil, let detail = problem.detail {
            return MissiveError(.invalidRequest, detail, pointer: prefix)
        }
        let inner = problem.errors?.first?.pointer ?? "/"
        let pointer = inner == "/" ? prefix : prefix + inner
        if inner == "/" {
            return MissiveError(.invalidRequest, "The \(prefix.dropFirst()) part is not valid JSON.", pointer: pointer)
        }
        return MissiveError(.invalidRequest, problem.detail?.replacingOccurrences(of: "field /", with: "field \(prefix)/") ?? "Invalid envelope JSON.", pointer: pointer)
    }
}
