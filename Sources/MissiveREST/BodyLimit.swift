import Hummingbird
import MissiveCore
import MissiveMIME
import Foundation
import NIOCore

/// Refuses request bodies over `maxBytes` with `413`, whether announced by Content-Length
/// or discovered while streaming.
public struct BodyLimit<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int

    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            throw MissiveError(.tooLarge, "The request body is larger than the limit of \(maxBytes) bytes.")
        }
        var request = request
        let limit = maxBytes
        // No field of this API takes null: refuse it instead of reading it as "absent".
        let contentType = request.headers[.contentType] ?? ""
        // The media type itself, not a prefix: "multipart/form-dataX" is not form data.
        let mediaType = MIMEContentType(parsing: contentType).mediaType
        var nulls: NullScan?
        if Self.readAsJSON(request.headers[.contentType], mediaType: mediaType) {
            nulls = .json(JSONNullScanner())
        } else if mediaType == "multipart/form-data", let boundary = Self.boundary(contentType) {
            // The multipart parser must split the body where the null scan looks: hand it
            // the boundary as read here (a quoted boundary reached it with its quotes).
            guard let canonical = MultipartNullScanner.formDataContentType(boundary: boundary) else {
                throw MissiveError(.invalidRequest, "The multipart boundary must be 1 to 70 letters, digits or '()+_,-./:? (RFC 2046).")
            }
            var head = request.head
            head.headerFields[.contentType] = canonical
            request = Request(head: head, body: request.body)
            nulls = .multipart(MultipartNullScanner(boundary: boundary))
        }
        request.body = RequestBody(asyncSequence: LimitedBody(base: request.body, limit: limit, nulls: nulls))
        return try await next(request, context)
    }

    /// Whether the OpenAPI runtime may decode this body as JSON: `application/json`, a
    /// `+json` type, a wildcard (`*/*`, `application/*`) or no Content-Type at all (the
    /// runtime then takes the operation's only body type). Each gets the null scan.
    static func readAsJSON(_ contentType: String?, mediaType: String) -> Bool {
        guard let contentType, !contentType.allSatisfy(\.isWhitespace) else { return true }
        return mediaType == "application/json" || mediaType.hasSuffix("+json") || mediaType == "*/*" || mediaType == "application/*"
    }

    /// The boundary parameter of a multipart Content-Type.
    static func boundary(_ contentType: String) -> String? {
        guard let value = MIMEContentType(parsing: contentType).boundary, !value.isEmpty, value.utf8.count <= 200 else { return nil }
        return value
    }
}

/// Which null scan a body gets.
enum NullScan {
    case json(JSONNullScanner)
    case multipart(MultipartNullScanner)

    mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .json(var scanner):
            defer { self = .json(scanner) }
            return scanner.scan(bytes)
        case .multipart(var scanner):
            defer { self = .multipart(scanner) }
            return scanner.scan(bytes)
        }
    }
}

/// A body sequence that throws `tooLarge` past its limit.
struct LimitedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let limit: Int
    let nulls: NullScan?

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int
        var seen = 0
        var nulls: NullScan?

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            seen += buffer.readableBytes
            if seen > limit {
                throw MissiveError(.tooLarge, "The request body is larger than the limit of \(limit) bytes.")
            }
            if nulls != nil, buffer.withUnsafeReadableBytes({ nulls!.scan($0) }) {
                throw MissiveError(.invalidRequest, "null is not a value in this API: omit the field instead.")
            }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), limit: limit, nulls: nulls)
    }
}
