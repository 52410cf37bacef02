/// An error of the Missive core. Compare errors by ``code``; the ``reason`` is safe to show
/// (it never holds document content, addresses or secrets).
public struct MissiveError: Error, Sendable, CustomStringConvertible {
    /// A stable, extensible error code. Adapters map codes to their wire errors in one place.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The request is malformed.
        public static let invalidRequest = Code(rawValue: "invalid_request")
        /// A field is well-formed but not acceptable (e.g. an empty recipient).
        public static let invalidField = Code(rawValue: "invalid_field")
        /// A document is not a usable PDF.
        public static let invalidDocument = Code(rawValue: "invalid_document")
        /// A document or the request is larger than allowed.
        public static let tooLarge = Code(rawValue: "payload_too_large")
        /// The media type is not accepted.
        public static let unsupportedMediaType = Code(rawValue: "unsupported_media_type")
        /// No such resource for the caller.
        public static let notFound = Code(rawValue: "not_found")
        /// No or an unknown credential.
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        /// A valid credential that may not do this.
        public static let forbidden = Code(rawValue: "forbidden")
        /// The idempotency reference is being processed by another request.
        public static let idempotencyInFlight = Code(rawValue: "idempotency_in_flight")
        /// The idempotency reference was used for a different request.
        public static let idempotencyMismatch = Code(rawValue: "idempotency_key_reused")
        /// The envelope's state does not allow the operation (e.g. cancel after dispatch).
        public static let conflict = Code(rawValue: "conflict")
        /// A status transition the lifecycle forbids.
        public static let illegalTransition = Code(rawValue: "illegal_transition")
        /// Too many requests.
        public static let rateLimited = Code(rawValue: "rate_limited")
        /// The store cannot take writes right now (disk full, database locked), or a peer
        /// that gates intake (the virus scanner) cannot be reached; retry later.
        public static let unavailable = Code(rawValue: "temporarily_unavailable")
        /// The hub is working off a backlog (admission control); retry after `retryAfter`.
        public static let busy = Code(rawValue: "busy")
        /// A document contains malware (reason `virus`); the envelope is refused.
        public static let virusDetected = Code(rawValue: "virus_detected")
        /// The organisation has not entered the code of its verification letter yet (or its
        /// profile changed since): live letters are refused.
        public static let organisationNotVerified = Code(rawValue: "organisation_not_verified")
        /// A verification code is wrong, expired, used, or its letter burnt.
        public static let verificationFailed = Code(rawValue: "verification_failed")
        /// A channel is temporarily unable to deliver; the job is retried.
        public static let channelUnavailable = Code(rawValue: "channel_unavailable")
        /// Too many failed logins in a row: the person's account waits for an administrator
        /// to unlock it.
        public static let accountLocked = Code(rawValue: "account_locked")
    }

    public var code: Code
    /// A description fit for logs and wire errors (never content).
    public var reason: String
    /// JSON pointer or part name of the offending input, if any.
    public var pointer: String?
    /// The envelope the refusal was recorded as (a submission rejected for malware is kept,
    /// with its `SubmissionRejection` evidence, so the sender can prove what happened).
    public var envelopeID: EnvelopeID?
    /// Seconds after which a refused attempt may be repeated (`rateLimited`), if known.
    public var retryAfter: Int?
    public var file: String
    public var line: Int

    public init(_ code: Code, _ reason: String, pointer: String? = nil, envelopeID: EnvelopeID? = nil, retryAfter: Int? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.retryAfter = retryAfter
        self.reason = reason
        self.pointer = pointer
        self.envelopeID = envelopeID
        self.file = file
        self.line = line
    }

    public var description: String { "MissiveError(\(code): \(reason))" }
}
