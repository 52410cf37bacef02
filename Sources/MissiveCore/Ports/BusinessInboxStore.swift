import Foundation

/// An organisation's business inbox (issue 6, part 4): its own mailbox, reached through a
/// `business` directory entry that carries the organisation's verified UID and postal address.
public struct BusinessInbox: Sendable, Hashable {
    public var organisationID: OrganisationID
    public var mailboxID: MailboxID
    public var directoryEntryID: DirectoryEntryID
    /// False while the organisation is unverified (registered, or its profile changed): new
    /// letters are not placed in it but printed and posted.
    public var active: Bool
    /// The UID senders reach it by (the last verified one); nil until first verified.
    public var uid: String?
    /// The postal address it is matched by (the last verified one); nil until first verified.
    public var postal: PostalAddress?

    public init(organisationID: OrganisationID, mailboxID: MailboxID, directoryEntryID: DirectoryEntryID, active: Bool, uid: String?, postal: PostalAddress?) {
        self.organisationID = organisationID
        self.mailboxID = mailboxID
        self.directoryEntryID = directoryEntryID
        self.active = active
        self.uid = uid
        self.postal = postal
    }
}

/// What a search of a business inbox asks for; every field narrows it.
public struct InboxQuery: Sendable, Hashable {
    /// Part of the sender's name, ignoring case and accents.
    public var sender: String?
    public var kind: EnvelopeKind?
    /// Part of the title, ignoring case and accents.
    public var title: String?
    /// Received at or after.
    public var receivedFrom: Date?
    /// Received before.
    public var receivedTo: Date?
    /// Only letters nobody opened yet.
    public var unreadOnly: Bool

    public init(sender: String? = nil, kind: EnvelopeKind? = nil, title: String? = nil, receivedFrom: Date? = nil, receivedTo: Date? = nil, unreadOnly: Bool = false) {
        self.sender = sender
        self.kind = kind
        self.title = title
        self.receivedFrom = receivedFrom
        self.receivedTo = receivedTo
        self.unreadOnly = unreadOnly
    }
}

/// A position in a business inbox's export feed: the arrival number of the last letter read.
/// Arrival numbers are given in commit order per mailbox, so a letter committed after a
/// reader's page always comes after its cursor: polling with it never skips a letter.
public struct InboxCursor: Sendable, Hashable, Comparable {
    public var arrival: Int64

    public init(arrival: Int64) {
        self.arrival = arrival
    }

    /// The start of the feed.
    public static let start = InboxCursor(arrival: 0)

    /// The opaque text handed to clients: `ibx1-` and the arrival number.
    public var text: String { "ibx1-\(arrival)" }

    /// Reads a cursor this server handed out; nil for anything else.
    public init?(text: String) {
        guard text.hasPrefix("ibx1-"), text.utf8.count <= 24 else { return nil }
        let digits = text.dropFirst(5)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }), let value = Int64(digits), value >= 0 else { return nil }
        self.arrival = value
    }

    public static func < (lhs: InboxCursor, rhs: InboxCursor) -> Bool { lhs.arrival < rhs.arrival }
}

/// Business inboxes: which mailbox is an organisation's, and the searches and export feed
/// over it. Letters are placed through ``MailboxStore`` like any mailbox's. Every call is
/// scoped to one mailbox and one mode: test keys see test letters only, live keys and people
/// live letters only.
public protocol BusinessInboxStore: Sendable {
    /// The organisation's inbox; nil for an unknown organisation.
    func businessInbox(of organisation: OrganisationID) async throws -> BusinessInbox?
    /// Letters matching `query`, newest first, after `cursor` (a letter id of an earlier page).
    func searchInbox(_ mailbox: MailboxID, mode: Mode, query: InboxQuery, after cursor: LetterID?, limit: Int) async throws -> [MailboxLetter]
    /// Letters in arrival order after `cursor`, with the cursor of the last one.
    func inboxFeed(_ mailbox: MailboxID, mode: Mode, after cursor: InboxCursor, limit: Int) async throws -> [(MailboxLetter, InboxCursor)]
}
