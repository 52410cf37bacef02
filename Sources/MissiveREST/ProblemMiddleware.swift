import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MissiveCore
import NIOCore
import OpenAPIRuntime

/// The one place where errors become wire errors: RFC 9457 `application/problem+json` with a
/// stable `type` and `code`. Unknown errors are `500` without detail (and logged by type).
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            // The generated server percent-encodes header values; a Location is a URI already
            // and a Content-Disposition is written by us, in ASCII.
            for field in [HTTPField.Name.location, .contentDisposition] {
                if let value = response.headers[field], let decoded = value.removingPercentEncoding {
                    response.headers[field] = decoded
                }
            }
            return response
        } catch {
            let problem = Self.problem(for: error)
            if problem.status >= 500 {
                context.logger.error("request failed", metadata: ["http.path": "\(request.uri.path)", LogKey.error: "\(Self.safeDescription(error))"])
            }
            return problem.response(instance: request.uri.path)
        }
    }

    /// The problem for an error.
    static func problem(for error: any Error) -> APIProblem {
        switch error {
        case let error as MissiveError:
            return APIProblem(error)
        case let error as MethodNotAllowed:
            var problem = APIProblem(status: 405, code: "method_not_allowed", title: "Method not allowed", detail: "This path supports \(error.allow).")
            problem.allow = error.allow
            return problem
        case let error as RateLimited:
            var problem = APIProblem(MissiveError(.rateLimited, "Too many requests for this key; retry later."))
            problem.retryAfter = error.retryAfter
            return problem
        case let error as ServerError:
            if let underlying = error.underlyingError as? MissiveError { return APIProblem(underlying) }
            if let underlying = error.underlyingError as? RateLimited { return problem(for: underlying) }
            if let underlying = error.underlyingError as? DecodingError { return APIProblem(decoding: underlying) }
            let cause = "\(error.causeDescription)".lowercased()
            if cause.contains("content type") || cause.contains("content-type") {
                return APIProblem(MissiveError(.unsupportedMediaType, "The Content-Type is not accepted by this operation."))
            }
            return APIProblem(MissiveError(.invalidRequest, "The request does not match the API: \(Self.clip(error.causeDescription))."))
        case let error as DecodingError:
            return APIProblem(decoding: error)
        case let error as any HTTPResponseError:
            let code: MissiveError.Code = switch error.status.code {
            case 404: .notFound
            case 405: .invalidRequest
            case 413: .tooLarge
            case 415: .unsupportedMediaType
            case 400..<500: .invalidRequest
            default: .unavailable
            }
            var problem = APIProblem(MissiveError(code, error.status.code == 404 ? "No such resource." : error.status.reasonPhrase))
            problem.status = Int(error.status.code)
            return problem
        default:
            return APIProblem(status: 500, code: "internal_error", title: "Internal error", detail: "The server could not complete the request.")
        }
    }

    /// Descriptions may quote input; keep them short.
    static func clip(_ text: String) -> String {
        text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    static func safeDescription(_ error: any Error) -> String {
        if let error = error as? MissiveError { return "\(error.code): \(error.reason)" }
        return String(reflecting: type(of: error))
    }
}

/// An RFC 9457 problem document.
struct APIProblem: Encodable, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String?
    var instance: String?
    var code: String
    var errors: [FieldError]?
    var retryAfter: Int?
    var allow: String?
    /// The envelope a refusal was recorded as (malware), for its evidence.
    var envelopeId: String?

    struct FieldError: Encodable, Sendable {
        var pointer: String
        var detail: String
    }

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, instance, code, errors, envelopeId
    }

    init(status: Int, code: String, title: String, detail: String?) {
        self.type = "urn:missive:problem:\(code)"
        self.title = title
        self.status = status
        self.detail = detail
        self.code = code
    }

    init(_ error: MissiveError) {
        let (status, title) = Self.status(for: error.code)
        self.init(status: status, code: error.code.rawValue, title: title, detail: error.reason)
        if let pointer = error.pointer { errors = [FieldError(pointer: pointer, detail: error.reason)] }
        if error.code == .unavailable || error.code == .channelUnavailable { retryAfter = 5 }
        if let seconds = error.retryAfter { retryAfter = seconds }
        envelopeId = error.envelopeID?.rawValue
    }

    init(decoding error: DecodingError) {
        let (path, reason): ([any CodingKey], String) = switch error {
        case .keyNotFound(let key, let context): (context.codingPath + [key], "is required")
        case .typeMismatch(_, let context): (context.codingPath, "has the wrong type")
        case .valueNotFound(_, let context): (context.codingPath, "must not be null")
        case .dataCorrupted(let context) where context.codingPath.isEmpty && context.debugDescription.contains("RFC 3339"):
            ([], "RFC3339")
        case .dataCorrupted(let context): (context.codingPath, context.debugDescription.contains("nknown") || context.debugDescription.contains("additional") ? "is not a known field" : "is not valid")
        @unknown default: ([], "is not valid")
        }
        if reason == "RFC3339" {
            // Dates are decoded without their field's path.
            self.init(MissiveError(.invalidRequest, "A date-time field is not an RFC 3339 date-time (e.g. 2026-11-29T10:00:00Z)."))
            return
        }
        let pointer = "/" + path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
        self.init(MissiveError(.invalidRequest, "The JSON field \(pointer) \(reason).", pointer: pointer))
    }

    static func status(for code: MissiveError.Code) -> (Int, String) {
        switch code {
        case .invalidRequest: (400, "Bad request")
        case .invalidField: (422, "Invalid field")
        case .invalidDocument: (422, "Invalid document")
        case .tooLarge: (413, "Content too large")
        case .unsupportedMediaType: (415, "Unsupported media type")
        case .notFound: (404, "Not found")
        case .unauthenticated: (401, "Unauthenticated")
        case .forbidden: (403, "Forbidden")
        case .accountLocked: (403, "Account locked")
        case .idempotencyInFlight: (409, "Request in progress")
        case .idempotencyMismatch: (422, "Idempotency key reused")
        case .virusDetected: (422, "Virus detected")
        case .organisationNotVerified: (403, "Organisation not verified")
        case .verificationFailed: (422, "Verification failed")
        case .conflict, .illegalTransition: (409, "Conflict")
        case .rateLimited: (429, "Too many requests")
        case .unavailable, .channelUnavailable: (503, "Temporarily unavailable")
        case .busy: (503, "Busy: working off a backlog")
        default: (400, "Bad request")
        }
    }

    func response(instance: String) -> Response {
        var copy = self
        copy.instance = instance
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(copy)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if status == 401 { headers[.wwwAuthenticate] = "Bearer realm=\"missive\"" }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
