import Foundation
import Logging
import MissiveCore
import MissiveMIME

/// The SOAP adapter's transport-independent core: reads one request body chunk by chunk,
/// authenticates, calls the post office and writes the response envelope. The HTTP layer
/// (``SOAPRoutes``) only moves bytes and headers.
public struct SOAPEndpoint: Sendable {
    /// Limits of the SOAP ingress (the same as REST).
    public struct Settings: Sendable {
        public var maxDocumentBytes: Int64
        public var maxAttachments: Int
        public var maxBatchItems: Int
        /// Allow `http://` status callback URLs (the sandbox; otherwise https only).
        public var allowPlainHTTPCallbacks: Bool
        public init(maxDocumentBytes: Int64 = 25 * 1024 * 1024, maxAttachments: Int = 20, maxBatchItems: Int = 100, allowPlainHTTPCallbacks: Bool = false) {
            self.allowPlainHTTPCallbacks = allowPlainHTTPCallbacks
            self.maxDocumentBytes = maxDocumentBytes
            self.maxAttachments = maxAttachments
            self.maxBatchItems = maxBatchItems
        }
    }

    /// The answer: HTTP status, content type and the envelope.
    public struct Reply: Sendable {
        public var status: Int
        public var contentType: String
        public var body: String
        /// More headers: `WWW-Authenticate` for a 401, `Retry-After`.
        public var headers: [String: String] = [:]
    }

    let postOffice: PostOffice
    let settings: Settings
    let limiter: RateLimiter?
    let logger: Logger

    /// `limiter` is the per-key request budget shared with REST (nil: unlimited).
    public init(postOffice: PostOffice, settings: Settings = Settings(), limiter: RateLimiter? = nil, logger: Logger) {
        self.postOffice = postOffice
        self.settings = settings
        self.limiter = limiter
        self.logger = logger
    }

    /// Handles one request. `basic` is the HTTP Basic (username, password) if sent;
    /// `action` the SOAPAction header or the `action` parameter of the 1.2 Content-Type.
    public func handle(contentType: String, action: String?, basic: (String, String)?, body: some AsyncSequence<ArraySlice<UInt8>, any Error>) async -> Reply {
        let reply = await answer(contentType: contentType, action: action, basic: basic, body: body)
        // An MTOM request gets an MTOM answer (WCF's MTOM encoder accepts nothing else).
        guard contentType.lowercased().hasPrefix("multipart/related"), reply.status != 415 else { return reply }
        return Self.mtomPackaged(reply)
    }

    /// Wraps a reply as an XOP package with the envelope as its only (root) part.
    static func mtomPackaged(_ reply: Reply) -> Reply {
        let boundary = "uuid:" + UUID().uuidString.lowercased()
        let inner = reply.contentType.split(separator: ";").first.map(String.init) ?? "text/xml"
        var packaged = reply
        packaged.contentType = "multipart/related; type=\"application/xop+xml\"; start=\"<root.message@missive>\"; start-info=\"\(inner)\"; boundary=\"\(boundary)\""
        packaged.body = "--\(boundary)\r\nContent-Type: application/xop+xml; charset=utf-8; type=\"\(inner)\"\r\nContent-Transfer-Encoding: 8bit\r\nContent-ID: <root.message@missive>\r\n\r\n\(reply.body)\r\n--\(boundary)--\r\n"
        return packaged
    }

    private func answer(contentType: String, action: String?, basic: (String, String)?, body: some AsyncSequence<ArraySlice<UInt8>, any Error>) async -> Reply {
        guard let announced = SOAPVersion.announced(byContentType: contentType) else {
            return reply(SOAPFault(.client, "Send SOAP 1.1 as text/xml or SOAP 1.2 as application/soap+xml.", code: "unsupported_media_type"), version: .soap11, status: 415)
        }
        var intake = SOAPIntake(blobs: postOffice.ports.blobs, settings: settings)
        do {
            if contentType.lowercased().hasPrefix("multipart/related") {
                guard let boundary = Self.parameter("boundary", of: contentType) else {
                    throw SOAPFault(.client, "An MTOM Content-Type needs a boundary.", code: "invalid_request")
                }
                try await intake.readMTOM(body, boundary: boundary)
            } else {
                try await intake.read(body)
            }
        } catch let fault as SOAPFault {
            await intake.discard()
            return reply(fault, version: intake.reader.version ?? announced)
        } catch let error as MissiveError {
            await intake.discard()
            return reply(SOAPFault(error), version: intake.reader.version ?? announced)
        } catch {
            await intake.discard()
            return reply(SOAPFault(.client, "The request body could not be read.", code: "invalid_request"), version: announced)
        }
        let version = intake.reader.version ?? announced
        guard version == announced else {
            await intake.discard()
            return reply(SOAPFault(.versionMismatch, "The Content-Type announces SOAP \(announced.rawValue) but the envelope is SOAP \(version.rawValue)."), version: version)
        }
        do {
            guard let operation = intake.reader.operation else { throw SOAPFault(.client, "The Body is empty.", code: "invalid_request") }
            try checkAction(action, operation: operation.name.local, version: version)
            let caller = try await authenticate(basic: basic, token: intake.reader.token)
            try Self.authorise(operation.name.local, caller.roles)
            let payload = try await perform(operation, intake: &intake, organisation: caller.organisation, key: caller.key, mode: caller.mode)
            return Reply(status: 200, contentType: "\(version.mediaType); charset=utf-8", body: SOAPWriter(version: version).envelope(body: payload))
        } catch let fault as SOAPFault {
            await intake.discard()
            return reply(fault, version: version)
        } catch let error as MissiveError {
            await intake.discard()
            return reply(SOAPFault(error), version: version)
        } catch {
            await intake.discard()
            logger.error("soap request failed", metadata: [LogKey.error: "\(String(reflecting: type(of: error)))"])
            return reply(SOAPFault(.server, "The request could not be completed.", code: "internal_error"), version: version)
        }
    }

    /// A parameter of a Content-Type (RFC 2045/2231, quotes removed); nil when absent, empty
    /// or longer than 200 bytes.
    static func parameter(_ name: String, of contentType: String) -> String? {
        guard let value = MIMEContentType(parsing: contentType).parameters[name], !value.isEmpty, value.utf8.count <= 200 else { return nil }
        return value
    }

    /// SOAP 1.1 faults are HTTP 500; SOAP 1.2 Sender faults are 400 (SOAP 1.2 part 2 §7.5.1.2).
    /// A missing or wrong HTTP Basic credential is a 401 with a challenge.
    func reply(_ fault: SOAPFault, version: SOAPVersion, status: Int? = nil) -> Reply {
        let code = status ?? (fault.challenge ? 401 : version == .soap12 && fault.kind == .client ? 400 : 500)
        var headers: [String: String] = [:]
        if fault.challenge { headers["WWW-Authenticate"] = "Basic realm=\"missive\", charset=\"UTF-8\"" }
        if let seconds = fault.retryAfter { headers["Retry-After"] = String(seconds) }
        return Reply(status: code, contentType: "\(version.mediaType); charset=utf-8", body: SOAPWriter(version: version).fault(fault), headers: headers)
    }

    func checkAction(_ action: String?, operation: String, version: SOAPVersion) throws(SOAPFault) {
        let trimmed = action?.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) ?? ""
        if version == .soap11, action == nil {
            throw SOAPFault(.client, "SOAP 1.1 requests need a SOAPAction header (urn:missive:soap:v1#\(operation)).", code: "invalid_request")
        }
        guard trimmed.isEmpty || trimmed == "urn:missive:soap:v1#\(operation)" else {
            throw SOAPFault(.client, "The SOAPAction does not match the operation \(operation).", code: "invalid_request")
        }
    }
}
