import Foundation
import Logging
import MissiveCore
import OpenAPIRuntime

/// The oneAPI handlers: each translates the generated wire types to a core call and back.
/// Errors are thrown as ``MissiveError`` and rendered by ``ProblemMiddleware``.
public struct OneAPI: APIProtocol {
    /// Limits and switches of the REST ingress.
    public struct Settings: Sendable {
        /// The largest document (main or attachment), bytes.
        public var maxDocumentBytes: Int64
        public var maxAttachments: Int
        /// Allow `http://` webhook URLs (sandbox, tests); production wants `https://`.
        public var allowPlainHTTPWebhooks: Bool
        public init(maxDocumentBytes: Int64 = 25 * 1024 * 1024, maxAttachments: Int = 20, allowPlainHTTPWebhooks: Bool = false) {
            self.maxDocumentBytes = maxDocumentBytes
            self.maxAttachments = maxAttachments
            self.allowPlainHTTPWebhooks = allowPlainHTTPWebhooks
        }
    }

    /// Hooks into the running server that the handlers report on.
    public struct Hooks: Sendable {
        public var isReady: @Sendable () async -> Bool
        public var metricsText: @Sendable () async -> String
        /// Present on a sandbox server: the clock tests may move.
        public var sandboxClock: OffsetWallClock?
        /// Persists a moved sandbox clock.
        public var clockMoved: @Sendable (TimeInterval) async throws -> Void
        /// Checks seals against the operator's trust anchor; nil without evidence keys.
        public var evidenceVerifier: (any EvidenceVerifying)?
        /// Registration and verification of sender organisations; nil: not offered.
        public var organisations: OrganisationAccess?
        /// API key management; nil: keys are minted by the operator only.
        public var keys: KeyAccess?
        /// People and their login; nil: not offered.
        public var users: UserAccess?

        public init(isReady: @escaping @Sendable () async -> Bool, metricsText: @escaping @Sendable () async -> String, sandboxClock: OffsetWallClock?, clockMoved: @escaping @Sendable (TimeInterval) async throws -> Void, evidenceVerifier: (any EvidenceVerifying)? = nil, organisations: OrganisationAccess? = nil, keys: KeyAccess? = nil, users: UserAccess? = nil) {
            self.keys = keys
            self.users = users
            self.evidenceVerifier = evidenceVerifier
            self.organisations = organisations
            self.isReady = isReady
            self.metricsText = metricsText
            self.sandboxClock = sandboxClock
            self.clockMoved = clockMoved
        }
    }

    /// What the organisation endpoints need from the composition root.
    public struct OrganisationAccess: Sendable {
        public var verifier: OrganisationVerifier
        public var store: any OrganisationStore
        /// Mints the first test and live keys of a new organisation (secrets, shown once).
        public var mintKeys: @Sendable (OrganisationID) async throws -> (test: String, live: String)
        /// Registrations across all callers (they carry no key to limit by).
        public var registrations: RateLimiter?

        public init(verifier: OrganisationVerifier, store: any OrganisationStore, mintKeys: @escaping @Sendable (OrganisationID) async throws -> (test: String, live: String), registrations: RateLimiter?) {
            self.verifier = verifier
            self.store = store
            self.mintKeys = mintKeys
            self.registrations = registrations
        }
    }

    /// What the key endpoints need from the composition root.
    public struct KeyAccess: Sendable {
        public var store: any APIKeyStore
        /// Forgets a revoked key at once (the authenticator caches keys briefly).
        public var revoked: @Sendable (APIKeyID) -> Void
        /// How long a rotated key keeps working.
        public var rotationGrace: TimeInterval

        public init(store: any APIKeyStore, revoked: @escaping @Sendable (APIKeyID) -> Void, rotationGrace: TimeInterval = 86_400) {
            self.store = store
            self.revoked = revoked
            self.rotationGrace = rotationGrace
        }
    }

    /// What the user and login endpoints need from the composition root.
    public struct UserAccess: Sendable {
        public var store: any UserStore
        public var accounts: UserAccounts
        public var login: TwoStepLogin
        /// Setup and login calls across all callers (they carry no key to limit by); each
        /// costs a password hash, so a flood must not take the server's memory and CPU.
        public var keyless: RateLimiter?

        public init(store: any UserStore, accounts: UserAccounts, login: TwoStepLogin, keyless: RateLimiter?) {
            self.store = store
            self.accounts = accounts
            self.login = login
            self.keyless = keyless
        }

        /// Refuses a setup or login call beyond the server-wide budget.
        func admitKeyless() throws {
            if let keyless, let wait = keyless.take("people") {
                let seconds = Int(wait.rounded(.up))
                throw MissiveError(.rateLimited, "Too many setup and login requests on this server; retry after \(seconds) s.", retryAfter: seconds)
            }
        }
    }

    let postOffice: PostOffice
    let settings: Settings
    let hooks: Hooks
    let logger: Logger

    public init(postOffice: PostOffice, settings: Settings, hooks: Hooks, logger: Logger) {
        self.postOffice = postOffice
        self.settings = settings
        self.hooks = hooks
        self.logger = logger
    }

    /// Dates are RFC 3339 with milliseconds everywhere.
    public static let configuration = Configuration(dateTranscoder: RFC3339Transcoder(), jsonEncodingOptions: [.sortedKeys])

    /// The page size: 1 to 200, default 50.
    static func limit(_ value: Int?) throws -> Int {
        guard let value else { return 50 }
        guard (1...200).contains(value) else {
            throw MissiveError(.invalidRequest, "limit must be 1 to 200.", pointer: "limit")
        }
        return value
    }

    /// Refuses a text parameter longer than the spec allows.
    static func check(_ value: String?, max: Int, _ name: String) throws {
        if let value, value.unicodeScalars.count > max {
            throw MissiveError(.invalidRequest, "\(name) is longer than \(max) characters.", pointer: name)
        }
    }
}
