import Hummingbird
import MissiveCore
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
        request.body = RequestBody(asyncSequence: LimitedBody(base: request.body, limit: limit))
        return try await next(request, context)
    }
}

/// A body sequence that throws `tooLarge` past its limit.
struct LimitedBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let limit: Int
        var seen = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            seen += buffer.readableBytes
            if seen > limit {
                throw MissiveError(.tooLarge, "The request body is larger than the limit of \(limit) bytes.")
            }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), limit: limit)
    }
}
