import MissiveCore

/// The authenticated caller of the request being handled, set by ``Authenticator``.
public enum RequestPrincipal {
    @TaskLocal public static var current: Principal?

    /// The calling organisation, or `forbidden` for a mailbox key, for a key without one of
    /// `roles`, and `unauthenticated` for none.
    static func organisation(_ roles: Roles) throws -> (OrganisationID, APIKeyID, Mode) {
        switch current {
        case .organisation(let organisation, let key, let mode, let held):
            guard !held.isDisjoint(with: roles) else {
                throw MissiveError(.forbidden, "This key's roles (\(held.names.joined(separator: ", "))) do not allow this; it needs \(roles.names.joined(separator: " or ")).")
            }
            return (organisation, key, mode)
        case .mailbox: throw MissiveError(.forbidden, "A mailbox key cannot use sender operations; use an organisation API key.")
        case nil: throw MissiveError(.unauthenticated, "An API key is required.")
        }
    }

    /// The calling mailbox, or `forbidden` for an organisation key.
    static func mailbox() throws -> MailboxID {
        switch current {
        case .mailbox(let mailbox): return mailbox
        case .organisation: throw MissiveError(.forbidden, "Mailbox operations need the recipient's mailbox key, not an API key.")
        case nil: throw MissiveError(.unauthenticated, "A mailbox key is required.")
        }
    }
}
