import Foundation
import Logging
import MissiveCore

/// The SOAP adapter's transport-independent core: reads one request body chunk by chunk,
/// authenticates, calls the post office and writes the response envelope. The HTTP layer
/// (``SOAPRoutes``) only moves bytes and headers.
public struct SOAPEndpoint: Sendable {
    /// Limits of the SOAP ingress (the same as REST).
    public struct Settings: Sendable {
        public var maxDocumentBytes: Int64
        public var maxAttachments: Int
        public var maxBatchItems: Int
        public init(maxDocumentBytes: Int64 = 25 * 1024 * 1024, maxAttachments: Int = 20, maxBatchItems: Int = 100) {
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
    }

    let postOffice: PostOffice
    let settings: Settings
    let logger: Logger

    public init(postOffice: PostOffice, settings: Settings = Settings(), logger: Logger) {
        self.postOffice = postOffice
        self.settings = settings
        self.logger = logger
    }

    /// Handles one request. `basic` is the HTTP Basic (username, password) if sent;
    /// `action` the SOAPAction header or the `action` parameter of the 1.2 Content-Type.
    public func handle(contentType: String, action: String?, basic: (String, String)?, body: some AsyncSequence<ArraySlice<UInt8>, any Error>) async -> Reply {
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
            let (organisation, key, mode) = try await authenticate(basic: basic, token: intake.reader.token)
            let payload = try await perform(operation, intake: &intake, organisation: organisation, key: key, mode: mode)
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

    /// A parameter of a Content-Type (quotes removed).
    static func parameter(_ name: String, of contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == name else { continue }
            let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            return value.isEmpty || value.utf8.count > 200 ? nil : value
        }
        return nil
    }

    /// SOAP 1.1 faults are HTTP 500; SOAP 1.2 Sender faults are 400 (SOAP 1.2 part 2 §7.5.1.2).
    func reply(_ fault: SOAPFault, version: SOAPVersion, status: Int? = nil) -> Reply {
        let code = status ?? (version == .soap12 && fault.kind == .client ? 400 : 500)
        return Reply(status: code, contentType: "\(version.mediaType); charset=utf-8", body: SOAPWriter(version: version).fault(fault))
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
