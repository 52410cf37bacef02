import Crypto
import Foundation
import MissiveCore

extension SOAPEndpoint {
    /// How far a UsernameToken's `Created` may lie from the server's time, either way.
    static let createdWindow: TimeInterval = 300

    /// HTTP Basic and/or a WS-Security UsernameToken (PasswordText or PasswordDigest): the
    /// username is the organisation id, the password one of its API keys. When both are
    /// sent, both must hold for the same organisation.
    func authenticate(basic: (String, String)?, token: SOAPRequestReader.UsernameToken?) async throws -> SOAPCaller {
        let now = Date()
        if let expiresText = token?.expires {
            guard let expires = Timestamp.parse(expiresText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw SOAPFault(.client, "wsu:Timestamp/wsu:Expires is not an xs:dateTime with a zone.", code: "unauthenticated")
            }
            guard expires > now else { throw SOAPFault(.client, "The message's wsu:Timestamp has expired.", code: "unauthenticated") }
        }
        var fromToken: SOAPCaller?
        if let token, !token.username.isEmpty {
            let username = token.username.trimmingCharacters(in: .whitespacesAndNewlines)
            let organisation = try await checkToken(token, username: username, now: now)
            fromToken = organisation
        }
        if let basic {
            let fromBasic = try await checkSecret(username: basic.0, password: basic.1, challenge: fromToken == nil)
            if let fromToken, fromToken.organisation != fromBasic.organisation {
                throw SOAPFault(.client, "HTTP Basic and the UsernameToken name different organisations.", code: "unauthenticated")
            }
            return fromToken ?? fromBasic
        }
        guard let fromToken else {
            throw SOAPFault(.client, "Authenticate with a WS-Security UsernameToken or HTTP Basic (organisation id and API key).", code: "unauthenticated", challenge: true)
        }
        return fromToken
    }

    /// A UsernameToken: PasswordDigest, or PasswordText (whose Nonce and Created, when
    /// sent, are held to the same window and single use).
    private func checkToken(_ token: SOAPRequestReader.UsernameToken, username: String, now: Date) async throws -> SOAPCaller {
        let freshness = try Freshness(token, now: now)
        if !token.isDigest {
            let principal = try await checkSecret(username: username, password: token.password.trimmingCharacters(in: .whitespacesAndNewlines), challenge: false)
            if let freshness { try await claim(freshness, organisation: principal.organisation, now: now) }
            return principal
        }
        guard let freshness else {
            throw SOAPFault(.client, "A PasswordDigest needs a wsse:Nonce and a wsu:Created.", code: "unauthenticated")
        }
        guard let organisation = OrganisationID(rawValue: username) else {
            throw SOAPFault(.client, "The organisation id or API key is wrong.", code: "unauthenticated")
        }
        // WS-Security UsernameToken Profile 1.1 §3.1: Base64(SHA-1(nonce + created + secret)).
        let presented = Data(base64Encoded: token.password.trimmingCharacters(in: .whitespacesAndNewlines)) ?? Data()
        let prefix = freshness.nonce + Data(freshness.createdText.utf8)
        let match = try await postOffice.ports.credentials.digestCredentials(of: organisation).first { credential in
            Self.constantTimeEqual(Data(Insecure.SHA1.hash(data: prefix + Data(credential.secret.utf8))), presented)
        }
        guard let match else {
            throw SOAPFault(.client, "The organisation id or API key is wrong.", code: "unauthenticated")
        }
        try await claim(freshness, organisation: organisation, now: now)
        try limit(match.key.rawValue)
        return SOAPCaller(organisation: organisation, key: match.key, mode: match.mode, roles: match.roles)
    }

    /// An organisation id and API key (HTTP Basic or PasswordText).
    private func checkSecret(username: String, password: String, challenge: Bool) async throws -> SOAPCaller {
        switch try await postOffice.ports.credentials.principal(username: username, secret: password) {
        case .organisation(let organisation, let key, let mode, let roles):
            try limit(key.rawValue)
            return SOAPCaller(organisation: organisation, key: key, mode: mode, roles: roles)
        case .mailbox:
            throw SOAPFault(.client, "A mailbox key cannot use the SOAP interface; use an organisation API key.", code: "forbidden")
        case .user, nil:
            throw SOAPFault(.client, "The organisation id or API key is wrong.", code: "unauthenticated", challenge: challenge)
        }
    }

    /// The API key's request budget, shared with REST.
    private func limit(_ key: String) throws(SOAPFault) {
        if let limiter, let wait = limiter.take(key) {
            let seconds = Int(wait.rounded(.up))
            throw SOAPFault(.server, "Too many requests for this API key; retry after \(seconds) s.", code: "rate_limited", retryAfter: seconds)
        }
    }

    private func claim(_ freshness: Freshness, organisation: OrganisationID, now: Date) async throws {
        guard try await postOffice.ports.credentials.claimNonce(freshness.nonceText, organisation: organisation, expiresAt: now.addingTimeInterval(2 * Self.createdWindow), now: now) else {
            throw SOAPFault(.client, "This wsse:Nonce was already used: the message is a replay.", code: "unauthenticated")
        }
    }

    /// A token's Nonce and Created, checked for form and the time window; nil when the
    /// token has neither.
    struct Freshness {
        var nonce: Data
        var nonceText: String
        var createdText: String

        init?(_ token: SOAPRequestReader.UsernameToken, now: Date) throws(SOAPFault) {
            guard token.nonce != nil || token.created != nil else { return nil }
            guard let nonceText = token.nonce?.trimmingCharacters(in: .whitespacesAndNewlines), let nonce = Data(base64Encoded: nonceText),
                  (8...64).contains(nonce.count)
            else {
                throw SOAPFault(.client, "wsse:Nonce must be base64 of 8 to 64 bytes.", code: "unauthenticated")
            }
            guard let createdText = token.created?.trimmingCharacters(in: .whitespacesAndNewlines), let created = Timestamp.parse(createdText) else {
                throw SOAPFault(.client, "wsu:Created must be an xs:dateTime with a zone.", code: "unauthenticated")
            }
            guard abs(created.timeIntervalSince(now)) <= SOAPEndpoint.createdWindow else {
                throw SOAPFault(.client, "wsu:Created is more than five minutes from the server's time: the message has expired (check the client's clock).", code: "unauthenticated")
            }
            self.nonce = nonce
            self.nonceText = nonceText
            self.createdText = createdText
        }
    }

    static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

/// An authenticated SOAP caller: an organisation's API key and its roles.
struct SOAPCaller: Sendable {
    var organisation: OrganisationID
    var key: APIKeyID
    var mode: Mode
    var roles: Roles
}
