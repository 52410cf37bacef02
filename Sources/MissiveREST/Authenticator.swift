import Foundation
import HTTPTypes
import Hummingbird
import MissiveCore
import Synchronization

/// Checks `Authorization: Bearer …` on every `/v1` request, rate-limits per key, and runs
/// the rest of the chain with ``RequestPrincipal/current`` set. Valid keys are cached
/// briefly so the store is not read on every request; login sessions (`mss_…`) are not
/// cached, so logout, removal and role changes take effect at once.
public struct Authenticator<Context: RequestContext>: RouterMiddleware {
    /// Resolves a session token to its person, or nil.
    public typealias SessionResolver = @Sendable (String) async throws -> Principal?

    let credentials: any CredentialStore
    let cache: PrincipalCache
    let limiter: RateLimiter?
    let sessions: SessionResolver?

    /// `limiter` is shared with the other ingresses, so a key has one budget everywhere.
    /// Without `sessions`, session tokens are unknown.
    public init(credentials: any CredentialStore, limiter: RateLimiter?, cache: PrincipalCache = PrincipalCache(), sessions: SessionResolver? = nil) {
        self.credentials = credentials
        self.cache = cache
        self.limiter = limiter
        self.sessions = sessions
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/"), !keylessPaths.contains(request.uri.path) else { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.count <= 512 else {
            throw MissiveError(.unauthenticated, "Send an API key as Authorization: Bearer <key>.")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw MissiveError(.unauthenticated, "The Authorization header must use the Bearer scheme.")
        }
        let secret = String(parts[1]).trimmingCharacters(in: .whitespaces)
        let hash = BearerSecret.hash(secret)
        let principal: Principal
        if secret.hasPrefix(SessionToken.prefix) {
            guard let found = try await sessions?(secret) else {
                throw MissiveError(.unauthenticated, "The session is unknown, ended or expired; log in again.")
            }
            principal = found
        } else if let cached = cache.lookup(hash) {
            principal = cached
        } else if let found = try await credentials.principal(forSecretHash: hash) {
            cache.store(hash, found)
            principal = found
            if case .organisation(_, let key, _, _) = found {
                // Coarse "last used": once per cache period.
                try? await credentials.touch(key, at: Date())
            }
        } else {
            throw MissiveError(.unauthenticated, "The key is unknown or revoked.")
        }
        // The kind of key is checked before the body is read, so a wrong key never sees
        // validation errors of an operation it may not call.
        let mailboxPath = request.uri.path.hasPrefix("/v1/mailbox/")
        switch principal {
        case .organisation where mailboxPath, .user where mailboxPath:
            throw MissiveError(.forbidden, "Mailbox operations need the recipient's mailbox key, not an API key.")
        case .mailbox where !mailboxPath:
            throw MissiveError(.forbidden, "A mailbox key cannot use sender operations; use an organisation API key.")
        case .organisation, .mailbox, .user:
            break
        }
        if let limiter, let wait = limiter.take(principal.rateLimitKey(secretHash: hash)) {
            throw RateLimited(retryAfter: Int(wait.rounded(.up)))
        }
        let sessionToken = secret.hasPrefix(SessionToken.prefix) ? secret : nil
        return try await RequestPrincipal.$current.withValue(principal) {
            try await RequestPrincipal.$sessionToken.withValue(sessionToken) {
                try await next(request, context)
            }
        }
    }
}

/// The operations that need no credential: registration hands out the first keys; setup and
/// the two login steps are how a person gets one.
private let keylessPaths: Set<String> = ["/v1/registrations", "/v1/user-setup", "/v1/user-setup/confirm", "/v1/sessions", "/v1/sessions/second-factor"]

/// Thrown when a key's rate limit is exhausted.
struct RateLimited: Error {
    var retryAfter: Int
}

/// Recently validated keys (by hash), kept for 30 seconds: a revoked key stops working
/// within that time.
public final class PrincipalCache: Sendable {
    private let entries = Mutex<[String: (Principal, ContinuousClock.Instant)]>([:])

    public init() {}

    /// Forgets a key at once (it was revoked).
    public func forget(_ key: APIKeyID) {
        entries.withLock { entries in
            entries = entries.filter { _, entry in
                if case .organisation(_, let cached, _, _) = entry.0 { return cached != key }
                return true
            }
        }
    }

    func lookup(_ hash: String) -> Principal? {
        entries.withLock { entries in
            guard let (principal, until) = entries[hash], until > .now else { return nil }
            return principal
        }
    }

    func store(_ hash: String, _ principal: Principal) {
        entries.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[hash] = (principal, .now + .seconds(30))
        }
    }
}
