import Crypto
import Foundation

/// The recipient directory (DESIGN §6): who has a mailbox, an eBill registration, which
/// preference.
public protocol RecipientDirectory: Sendable {
    /// Finds the recipient by ePost address, UID, eBill id or normalized postal address.
    func resolve(_ recipient: Recipient) async throws -> DirectoryMatch
    /// Resolves many recipients at once (batch reachability), in order.
    func resolve(_ recipients: [Recipient]) async throws -> [DirectoryMatch]
    /// The entry owning a mailbox.
    func entry(forMailbox mailbox: MailboxID) async throws -> DirectoryEntry?
    /// Changes an entry's delivery preference.
    func setPreference(_ preference: DeliveryPreference, for entry: DirectoryEntryID) async throws
    /// A recipient an organisation saved under a short name (its address book; e.g. a
    /// customer number mailed as `<alias>@<hub domain>` over SMTP). Case-insensitive.
    func alias(_ name: String, organisation: OrganisationID) async throws -> Recipient?
}

extension RecipientDirectory {
    public func resolve(_ recipients: [Recipient]) async throws -> [DirectoryMatch] {
        var matches: [DirectoryMatch] = []
        matches.reserveCapacity(recipients.count)
        for recipient in recipients { matches.append(try await resolve(recipient)) }
        return matches
    }
}

/// A letter in a recipient's digital mailbox.
public struct MailboxLetter: Sendable, Hashable {
    public var id: LetterID
    public var mailboxID: MailboxID
    public var envelopeID: EnvelopeID
    public var organisationID: OrganisationID
    public var senderName: String
    public var kind: EnvelopeKind
    public var title: String?
    public var deliveredAt: Date
    public var consultedAt: Date?
    public var document: DocumentRef
    public var attachmentCount: Int
    /// The document's key wrapped for the mailbox's encryption key (see
    /// ``BlobStore/wrapKey(of:for:)``); nil for letters placed before documents were
    /// encrypted at rest, whose blobs are plaintext.
    public var documentKey: Data?
    /// The sender organisation's UID (`CHE-…`), when its profile has one.
    public var senderUID: String?
    /// The mode of the envelope it came from: a business inbox shows test letters to test
    /// keys only, live letters to live keys and people only.
    public var mode: Mode

    public init(id: LetterID, mailboxID: MailboxID, envelopeID: EnvelopeID, organisationID: OrganisationID, senderName: String, kind: EnvelopeKind, title: String?, deliveredAt: Date, consultedAt: Date?, document: DocumentRef, attachmentCount: Int, documentKey: Data? = nil, senderUID: String? = nil, mode: Mode = .live) {
        self.senderUID = senderUID
        self.mode = mode
        self.id = id
        self.mailboxID = mailboxID
        self.envelopeID = envelopeID
        self.organisationID = organisationID
        self.senderName = senderName
        self.kind = kind
        self.title = title
        self.deliveredAt = deliveredAt
        self.consultedAt = consultedAt
        self.document = document
        self.attachmentCount = attachmentCount
        self.documentKey = documentKey
    }
}

/// The mailboxes of the ePost channel.
public protocol MailboxStore: Sendable {
    /// Places a letter; idempotent per envelope (a repeat returns the existing letter).
    func deliver(_ letter: MailboxLetter) async throws -> MailboxLetter
    /// The mailbox's letters, newest first.
    func letters(in mailbox: MailboxID, unreadOnly: Bool, after cursor: LetterID?, limit: Int) async throws -> [MailboxLetter]
    /// One letter, only if it is in `mailbox`.
    func letter(_ id: LetterID, in mailbox: MailboxID) async throws -> MailboxLetter?
    /// Marks the letter opened; returns true the first time.
    func markConsulted(_ id: LetterID, at: Date) async throws -> Bool
    /// The organisation's display name (shown to recipients).
    func organisationName(_ id: OrganisationID) async throws -> String?
    /// The organisation's UID (`CHE-…`), if its profile has one (shown to recipients).
    func organisationUID(_ id: OrganisationID) async throws -> String?
    /// The public key documents are wrapped for when placed in `mailbox`; the mailbox's key
    /// pair is made on first use.
    func encryptionKey(for mailbox: MailboxID) async throws -> Curve25519.KeyAgreement.PublicKey
    /// The private key that opens the documents wrapped for `mailbox`; nil if it has none yet.
    func decryptionKey(for mailbox: MailboxID) async throws -> Curve25519.KeyAgreement.PrivateKey?
}

extension MailboxStore {
    /// Stores that know no UIDs show none.
    public func organisationUID(_ id: OrganisationID) async throws -> String? { nil }
}
