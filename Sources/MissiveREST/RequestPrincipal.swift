import MissiveCore

/// The authenticated caller of the request being handled, set by ``Authenticator``.
public enum RequestPrincipal {
    @TaskLocal public static var current: Principal?
    /// The login session token the request came with, if it came with one (for logout).
    @TaskLocal public static var sessionToken: String?

    /// The calling organisation with the caller's id (an API key's or a user's) and mode, or
    /// `forbidden` for a mailbox key, for a key or person without one of `roles`, and
    /// `unauthenticated` for none. People act in live mode.
    static func organisation(_ roles: Roles) throws -> (OrganisationID, String, Mode) {
        switch current {
        case .organisation(let organisation, let key, let mode, let held):
            try require(roles, held: held, who: "key")
            return (organisation, key.rawValue, mode)
        case .user(let organisation, let user, let held):
            try require(roles, held: held, who: "user")
            return (organisation, user.rawValue, .live)
        case .mailbox: throw MissiveError(.forbidden, "A mailbox key cannot use sender operations; use an organisation API key.")
        case nil: throw MissiveError(.unauthenticated, "An API key is required.")
        }
    }

    /// The calling mailbox, or `forbidden` for an organisation key.
    static func mailbox() throws -> MailboxID {
        switch current {
        case .mailbox(let mailbox): return mailbox
        case .organisation, .user: throw MissiveError(.forbidden, "Mailbox operations need the recipient's mailbox key, not an API key.")
        case nil: throw MissiveError(.unauthenticated, "A mailbox key is required.")
        }
    }

    private static func require(_ roles: Roles, held: Roles, who: String) throws {
        guard !held.isDisjoint(with: roles) else {
            throw MissiveError(.forbidden, "This \(who)'s roles (\(held.names.joined(separator: ", "))) do not allow this; it needs \(roles.names.joined(separator: " or ")).")
        }
    }
}
