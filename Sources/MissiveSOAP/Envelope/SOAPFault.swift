import MissiveCore

/// A SOAP fault: the SOAP-level kind (rendered as `soap:Client`/`Server` in 1.1,
/// `Sender`/`Receiver` in 1.2) and Missive's stable error code (the same codes as the REST
/// problems), with a text that never quotes document content.
public struct SOAPFault: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The request is wrong (1.1 `Client`, 1.2 `Sender`).
        case client
        /// Missive could not do it now (1.1 `Server`, 1.2 `Receiver`).
        case server
        /// The envelope is not of a version this endpoint speaks.
        case versionMismatch
        /// A mandatory header is not understood.
        case mustUnderstand
    }

    public var kind: Kind
    public var code: String
    public var text: String
    /// Answer with HTTP 401 and a Basic challenge (toolkits such as .NET send HTTP Basic
    /// credentials only after one).
    public var challenge: Bool
    /// Seconds for a `Retry-After` header (rate limits, a store that cannot write now).
    public var retryAfter: Int?

    public init(_ kind: Kind, _ text: String, code: String? = nil, challenge: Bool = false, retryAfter: Int? = nil) {
        self.kind = kind
        self.text = text
        self.code = code ?? Self.defaultCode(kind)
        self.challenge = challenge
        self.retryAfter = retryAfter
    }

    /// The fault for a core error.
    public init(_ error: MissiveError) {
        let serverSide: Set<MissiveError.Code> = [.unavailable, .channelUnavailable, .idempotencyInFlight, .busy]
        let isServer = serverSide.contains(error.code)
        self.init(isServer ? .server : .client, error.reason, code: error.code.rawValue, retryAfter: isServer ? error.retryAfter ?? 1 : nil)
    }

    static func defaultCode(_ kind: Kind) -> String {
        switch kind {
        case .client: "invalid_request"
        case .server: "temporarily_unavailable"
        case .versionMismatch: "version_mismatch"
        case .mustUnderstand: "must_understand"
        }
    }

    public var description: String { "SOAPFault(\(code): \(text))" }
}
