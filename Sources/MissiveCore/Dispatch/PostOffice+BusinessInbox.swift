import Foundation

extension PostOffice {
    /// The organisation's business inbox was paused (profile changed) or resumed (verified
    /// again): everything routed to it and not yet dispatched is routed again, as after a
    /// preference change.
    public func businessInboxChanged(_ organisation: OrganisationID) async throws {
        guard let inbox = try await ports.inboxes?.businessInbox(of: organisation) else { return }
        let reason = inbox.active
            ? Reason(code: "mailbox_resumed", text: "The recipient's business inbox accepts letters again.")
            : Reason(code: Router.pausedInboxReason.code, text: "The recipient's business inbox was paused until its organisation is verified again.")
        for id in try await ports.envelopes.undispatched(for: inbox.directoryEntryID) {
            try await reroute(id, because: reason)
        }
    }

    /// Opens a letter of the organisation's business inbox: as ``open(_:mailbox:)`` (the first
    /// download records `consulted` with its evidence), for a caller in `mode`. Another
    /// organisation's letter, or one of the other mode, is not found.
    public func openInboxLetter(_ id: LetterID, organisation: OrganisationID, mode: Mode) async throws -> (MailboxLetter, Data) {
        let letter = try await inboxLetter(id, organisation: organisation, mode: mode)
        return try await open(letter.id, mailbox: letter.mailboxID)
    }

    /// One letter of the organisation's business inbox, for a caller in `mode`.
    public func inboxLetter(_ id: LetterID, organisation: OrganisationID, mode: Mode) async throws -> MailboxLetter {
        guard let inbox = try await ports.inboxes?.businessInbox(of: organisation),
              let letter = try await ports.mailboxes.letter(id, in: inbox.mailboxID), letter.mode == mode
        else { throw MissiveError(.notFound, "No such letter.") }
        return letter
    }
}
