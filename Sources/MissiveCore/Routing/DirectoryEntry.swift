import Foundation

/// How a recipient wants to receive letters.
public enum DeliveryPreference: String, Sendable, Hashable, Codable, CaseIterable {
    case digital, physical
}

/// What the recipient directory knows about one recipient: their mailbox, eBill
/// registration, preference and postal address.
public struct DirectoryEntry: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case `private`, business
    }

    public var id: DirectoryEntryID
    public var kind: Kind
    public var postal: PostalAddress?
    public var ePostAddress: String?
    public var uid: String?
    public var eBillID: String?
    /// The digital mailbox, if the recipient has one.
    public var mailboxID: MailboxID?
    public var preference: DeliveryPreference
    /// False until the recipient's identity was verified; unverified mailboxes get no mail.
    public var verified: Bool
    /// True when the recipient closed their mailbox / opted out of digital delivery.
    public var optedOut: Bool

    public init(id: DirectoryEntryID = .generate(), kind: Kind, postal: PostalAddress?, ePostAddress: String? = nil, uid: String? = nil, eBillID: String? = nil, mailboxID: MailboxID? = nil, preference: DeliveryPreference = .digital, verified: Bool = true, optedOut: Bool = false) {
        self.id = id
        self.kind = kind
        self.postal = postal
        self.ePostAddress = ePostAddress
        self.uid = uid
        self.eBillID = eBillID
        self.mailboxID = mailboxID
        self.preference = preference
        self.verified = verified
        self.optedOut = optedOut
    }
}

/// The directory's answer for a recipient.
public enum DirectoryMatch: Sendable, Hashable {
    case found(DirectoryEntry)
    case notFound
    case multiple(Int)

    public var entry: DirectoryEntry? {
        if case .found(let entry) = self { return entry }
        return nil
    }
}
