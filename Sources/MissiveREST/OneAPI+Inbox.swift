import Foundation
import MissiveCore
import OpenAPIRuntime

/// The business inbox: the letters other organisations send to this one. Roles `reader` and
/// `admin`; a key sees the letters of its own mode (test keys test letters, live keys and
/// people live letters).
extension OneAPI {
    public func getInbox(_ input: Operations.GetInbox.Input) async throws -> Operations.GetInbox.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(Roles.inboxReaders)
        let inbox = try await businessInbox(of: organisation)
        return .ok(.init(body: .json(.init(
            status: inbox.active ? .active : .paused, mailboxId: inbox.mailboxID.rawValue, uid: inbox.uid, postalAddress: inbox.postal.map(Wire.postal)
        ))))
    }

    public func searchInboxLetters(_ input: Operations.SearchInboxLetters.Input) async throws -> Operations.SearchInboxLetters.Output {
        let (organisation, _, mode) = try RequestPrincipal.organisation(Roles.inboxReaders)
        let query = input.query
        try Self.checkSearchText(query.sender, max: 100, "sender")
        try Self.checkSearchText(query.title, max: 200, "title")
        try Self.check(query.cursor, max: 128, "cursor")
        let cursor = try query.cursor.map { raw -> LetterID in
            guard let id = LetterID(rawValue: raw) else { throw MissiveError(.invalidRequest, "Unknown cursor.", pointer: "cursor") }
            return id
        }
        let limit = try Self.limit(query.limit)
        let search = InboxQuery(
            sender: query.sender, kind: query.kind.flatMap { EnvelopeKind(rawValue: $0.rawValue) }, title: query.title,
            receivedFrom: query.receivedFrom, receivedTo: query.receivedTo, unreadOnly: query.unread ?? false
        )
        let inbox = try await businessInbox(of: organisation)
        let letters = try await inboxes().searchInbox(inbox.mailboxID, mode: mode, query: search, after: cursor, limit: limit)
        return .ok(.init(body: .json(.init(items: letters.map(Wire.inboxLetter), nextCursor: letters.count == limit ? letters.last?.id.rawValue : nil))))
    }

    public func getInboxLetter(_ input: Operations.GetInboxLetter.Input) async throws -> Operations.GetInboxLetter.Output {
        let (organisation, _, mode) = try RequestPrincipal.organisation(Roles.inboxReaders)
        let letter = try await postOffice.inboxLetter(try Wire.id(input.path.letterId, as: LetterID.self), organisation: organisation, mode: mode)
        return .ok(.init(body: .json(Wire.inboxLetter(letter))))
    }

    public func downloadInboxLetterDocument(_ input: Operations.DownloadInboxLetterDocument.Input) async throws -> Operations.DownloadInboxLetterDocument.Output {
        let (organisation, _, mode) = try RequestPrincipal.organisation(Roles.inboxReaders)
        let (_, bytes) = try await postOffice.openInboxLetter(try Wire.id(input.path.letterId, as: LetterID.self), organisation: organisation, mode: mode)
        return .ok(.init(body: .pdf(HTTPBody(bytes))))
    }

    public func listInboxFeed(_ input: Operations.ListInboxFeed.Input) async throws -> Operations.ListInboxFeed.Output {
        let (organisation, _, mode) = try RequestPrincipal.organisation(Roles.inboxReaders)
        try Self.check(input.query.after, max: 64, "after")
        let after = try input.query.after.map { raw -> InboxCursor in
            guard let cursor = InboxCursor(text: raw) else { throw MissiveError(.invalidRequest, "Unknown cursor.", pointer: "after") }
            return cursor
        } ?? .start
        let limit = try Self.limit(input.query.limit)
        let inbox = try await businessInbox(of: organisation)
        let page = try await inboxes().inboxFeed(inbox.mailboxID, mode: mode, after: after, limit: limit)
        let next = page.last?.1 ?? after
        return .ok(.init(body: .json(.init(items: page.map { Wire.inboxLetter($0.0) }, nextCursor: next.text))))
    }

    private func inboxes() throws -> any BusinessInboxStore {
        guard let inboxes = postOffice.ports.inboxes else { throw MissiveError(.notFound, "This server keeps no business inboxes.") }
        return inboxes
    }

    private func businessInbox(of organisation: OrganisationID) async throws -> BusinessInbox {
        guard let inbox = try await inboxes().businessInbox(of: organisation) else { throw MissiveError(.notFound, "The organisation has no business inbox.") }
        return inbox
    }

    /// A search term: 1 to `max` characters.
    static func checkSearchText(_ value: String?, max: Int, _ name: String) throws {
        try check(value, max: max, name)
        if let value, value.isEmpty {
            throw MissiveError(.invalidRequest, "\(name) must not be empty.", pointer: name)
        }
    }
}

extension Wire {
    static func inboxLetter(_ letter: MailboxLetter) -> Components.Schemas.InboxLetter {
        .init(
            id: letter.id.rawValue,
            sender: .init(organisationId: letter.organisationID.rawValue, name: letter.senderName, uid: letter.senderUID),
            kind: .init(rawValue: letter.kind.rawValue)!, title: letter.title, receivedAt: letter.deliveredAt, consultedAt: letter.consultedAt,
            document: document(letter.document), attachmentCount: letter.attachmentCount, mode: .init(rawValue: letter.mode.rawValue)!
        )
    }
}
