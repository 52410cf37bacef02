import Foundation
import HTTPTypes
import MissiveCore
import MissiveMIME
@_spi(Generated) import OpenAPIRuntime

/// The REST `multipart/form-data` reader for `POST /v1/envelopes`, in the order a request
/// meets it: ``MultipartNullScanner`` (in the REST `BodyLimit`, refusing JSON `null`s while
/// the body streams), then OpenAPIRuntime's multipart parser with the part rules of the
/// generated `createEnvelope` deserializer (`envelope` and `document` exactly once,
/// `attachment` any number of times, no other part), its part decoding (Content-Disposition
/// name and filename, Content-Type checks, the envelope as JSON), and ``PDFInspector`` over
/// every document.
///
/// The generated code itself is not linked: its build plugin cannot be built with
/// `-sanitize=fuzzer` (the plugin tool would get libFuzzer's `main`). The rules and the
/// decoding are restated here from the generated `Server.swift`; the envelope JSON is decoded
/// as a generic object instead of `EnvelopeSubmission`.
///
/// Input: the first line (up to LF) is the Content-Type header; the rest is the body, fed
/// in network-sized chunks. Input without LF is a body under
/// `multipart/form-data; boundary=fuzz`.
///
/// Promises checked: the null scanner answers the same for the body in one piece and in
/// chunks; an accepted body was split at the boundary the null scanner looked for; only
/// errors come out of the parser; no part with another name reaches the part
/// decoder (where the generated code has a `preconditionFailure` that would take the server
/// down); an accepted body has its required parts.
public enum FormDataFuzzTarget: FuzzTarget {
    public static let name = "form-data"

    static let converter = Converter(configuration: Configuration())

    public static func run(_ input: [UInt8]) async -> FuzzOutcome {
        let (contentType, body) = split(input)
        guard let boundary = boundary(contentType) else { return .rejected("no boundary") }
        let chunks = InputChunks.split(Array(body))
        let whole = scanNulls([body], boundary: boundary)
        guard whole == scanNulls(chunks, boundary: boundary) else {
            return .violation("the null scanner answers differently for the body in chunks")
        }
        if whole { return .rejected("null") }
        guard let canonical = MultipartNullScanner.formDataContentType(boundary: boundary) else { return .rejected("boundary characters") }
        return await decode(chunks, contentType: canonical, scannedBoundary: boundary)
    }

    static func split(_ input: [UInt8]) -> (String, ArraySlice<UInt8>) {
        guard let lf = input.firstIndex(of: 10) else { return ("multipart/form-data; boundary=fuzz", input[...]) }
        var line = input[..<lf]
        if line.last == 13 { line = line.dropLast() }
        return (String(decoding: line, as: UTF8.self), input[(lf + 1)...])
    }

    /// The boundary as `BodyLimit` takes it: non-empty and at most 200 bytes.
    static func boundary(_ contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data"),
            let value = MIMEContentType(parsing: contentType).boundary, !value.isEmpty, value.utf8.count <= 200
        else { return nil }
        return value
    }

    static func scanNulls(_ chunks: [ArraySlice<UInt8>], boundary: String) -> Bool {
        var scanner = MultipartNullScanner(boundary: boundary)
        for chunk in chunks where chunk.withUnsafeBytes({ scanner.scan($0) }) { return true }
        return false
    }

    /// The parts of `createEnvelope`'s `multipartForm` body.
    enum Payload: Sendable {
        case envelope(OpenAPIObjectContainer)
        case document(HTTPBody)
        case attachment(HTTPBody)
    }

    /// Decodes the body as the generated server does (under the Content-Type `BodyLimit`
    /// hands on), then reads every part.
    static func decode(_ chunks: [ArraySlice<UInt8>], contentType: String, scannedBoundary: String) async -> FuzzOutcome {
        let unknown = UnknownPart()
        do {
            let runtimeBoundary = try OpenAPIMIMEType(contentType).requiredBoundary()
            let body = HTTPBody(ChunkSequence(chunks: chunks), length: .unknown, iterationBehavior: .single)
            let multipart = try converter.getRequiredRequestBodyAsMultipart(
                MultipartBody<Payload>.self,
                from: body,
                transforming: { $0 },
                boundary: runtimeBoundary,
                allowsUnknownParts: false,
                requiredExactlyOncePartNames: ["document", "envelope"],
                requiredAtLeastOncePartNames: [],
                atMostOncePartNames: [],
                zeroOrMoreTimesPartNames: ["attachment"],
                decoding: { part in try await decodePart(part, unknown: unknown) }
            )
            var parts = 0
            for try await part in multipart {
                parts += 1
                switch part {
                case .envelope: break
                case .document(let body), .attachment(let body): try await inspect(body)
                }
            }
            guard parts >= 2 else { return .violation("a body without its required parts was accepted") }
            // The null scanner must have looked for the parts the runtime read.
            guard runtimeBoundary == scannedBoundary else {
                return .violation("the null scanner and the multipart parser read different boundaries")
            }
            return .accepted
        } catch {
            if let length = unknown.nameLength {
                return .violation("the part rules let through a part whose name is \(length) bytes long")
            }
            return .rejected(String(describing: type(of: error)))
        }
    }

    /// The generated `decoding:` closure of `createEnvelope`, with its `preconditionFailure`
    /// for an unknown part turned into a reported violation.
    static func decodePart(_ part: MultipartRawPart, unknown: UnknownPart) async throws -> Payload {
        let headerFields = part.headerFields
        let (name, _) = try converter.extractContentDispositionNameAndFilename(in: headerFields)
        switch name {
        case "envelope":
            try converter.verifyContentTypeIfPresent(in: headerFields, matches: "application/json")
            return .envelope(try await converter.getRequiredRequestBodyAsJSON(OpenAPIObjectContainer.self, from: part.body, transforming: { $0 }))
        case "document":
            try converter.verifyContentTypeIfPresent(in: headerFields, matches: "application/pdf")
            return .document(try converter.getRequiredRequestBodyAsBinary(HTTPBody.self, from: part.body, transforming: { $0 }))
        case "attachment":
            try converter.verifyContentTypeIfPresent(in: headerFields, matches: "application/pdf")
            return .attachment(try converter.getRequiredRequestBodyAsBinary(HTTPBody.self, from: part.body, transforming: { $0 }))
        default:
            unknown.nameLength = name?.utf8.count ?? 0
            throw CancellationError()
        }
    }

    /// Streams a document through the PDF checks the REST handler runs.
    static func inspect(_ body: HTTPBody) async throws {
        var inspector = PDFInspector()
        var head: [UInt8] = []
        var tail: [UInt8] = []
        for try await chunk in body {
            inspector.consume(chunk)
            if head.count < 1024 { head += chunk.prefix(1024 - head.count) }
            tail = Array((tail + chunk).suffix(1024))
        }
        _ = inspector.pageCount
        try PDFInspector.validate(head: head, tail: tail)
    }

    /// Notes a part the generated decoder would have met with `preconditionFailure` (the
    /// runtime may wrap the error thrown from the decoder, so it is noted beside it).
    final class UnknownPart: @unchecked Sendable {
        // Written and read by the one task that runs the input.
        var nameLength: Int?
    }
}
