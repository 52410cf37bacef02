import MissiveCore

/// Who may relay and where mail goes, decided through the core's ports: SMTP AUTH with an
/// organisation's API key, sender domains the organisation verified, and the recipient
/// scheme of the hub domain.
///
/// Recipient scheme: `<local part>@<hub domain>`, where the local part is, in this order,
/// an alias from the organisation's address book, a UID (`che-123.456.789`), a 17-digit
/// eBill id, an ePost address with `=` for `@` (`anna.muster=epost.ch`), or one of the
/// "read it from the message" names (default `letters`): then the recipient comes from an
/// `X-Missive-Recipient` header or a `missive.json` part.
public struct SMTPPolicy: Sendable {
    public var hubDomain: String
    public var messageRecipientNames: Set<String>
    let credentials: any CredentialStore
    let directory: any RecipientDirectory

    public init(hubDomain: String, messageRecipientNames: Set<String> = ["letters"], credentials: any CredentialStore, directory: any RecipientDirectory) {
        self.hubDomain = hubDomain.lowercased()
        self.messageRecipientNames = Set(messageRecipientNames.map { $0.lowercased() })
        self.credentials = credentials
        self.directory = directory
    }

    /// SMTP AUTH: the user name is the organisation id, the password one of its API keys with
    /// the `sender` role (a key that may not send does not log in).
    public func authenticate(username: String, password: String) async throws -> SMTPPrincipal? {
        guard case .organisation(let organisation, let key, let mode, let roles) = try await credentials.principal(username: username, secret: password),
              roles.contains(.sender) else { return nil }
        return SMTPPrincipal(organisation: organisation, principal: key.rawValue, mode: mode)
    }

    /// True when the sender's domain is verified by the principal's organisation.
    public func maySend(from path: SMTPPath, principal: SMTPPrincipal) async throws -> Bool {
        try await credentials.senderDomainOwner(path.domain) == principal.organisation
    }

    /// Where a `RCPT TO` leads, or the refusal.
    public func resolve(_ path: SMTPPath, principal: SMTPPrincipal) async throws -> Result<SMTPRecipientTarget, SMTPRejection> {
        guard path.domain == hubDomain else {
            return .failure(SMTPRejection(SMTPReply(550, "5.7.1", "Relaying denied: Missive accepts mail only for its own domain")))
        }
        let local = path.localPart
        let lower = local.lowercased()
        if let recipient = try await directory.alias(lower, organisation: principal.organisation) {
            return .success(.recipient(recipient))
        }
        if lower.wholeMatch(of: /che-?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}/) != nil {
            let digits = lower.filter(\.isNumber)
            let uid = "CHE-\(digits.prefix(3)).\(digits.dropFirst(3).prefix(3)).\(digits.suffix(3))"
            return .success(.recipient(Recipient(uid: uid)))
        }
        if local.utf8.count == 17, local.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            return .success(.recipient(Recipient(eBillID: local)))
        }
        if let equals = local.lastIndex(of: "="), equals != local.startIndex, local.index(after: equals) != local.endIndex {
            let address = "\(local[..<equals])@\(local[local.index(after: equals)...])"
            let recipient = Recipient(ePostAddress: address)
            guard (try? recipient.validate()) != nil else { return .failure(SMTPRejection(SMTPReply(550, "5.1.3", "Not an ePost address"))) }
            return .success(.recipient(recipient))
        }
        if messageRecipientNames.contains(lower) {
            return .success(.fromMessage)
        }
        return .failure(SMTPRejection(SMTPReply(550, "5.1.1", "Unknown recipient: use an alias, a UID, an eBill id, an ePost address with = for @, or \(messageRecipientNames.sorted().first ?? "letters")@\(hubDomain)")))
    }
}
