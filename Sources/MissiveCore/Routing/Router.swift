/// Chooses the channel for an envelope (DESIGN §6). Pure: the directory lookup happens
/// before, the recording after.
public enum Router {
    /// The result of routing.
    public enum Decision: Sendable, Hashable {
        case channel(Channel, Reason)
        case unreachable(Reason)
    }

    /// Decides the channel for an envelope of `kind` under `policy`, given what the
    /// directory knows, never choosing a channel in `excluded` (channels that already failed).
    /// eBill carries only bills: it is chosen only when `hasInvoiceDetails` (amount, currency).
    public static func decide(
        kind: EnvelopeKind, policy: ChannelPolicy.Mode, recipient: Recipient, match: DirectoryMatch,
        excluded: Set<Channel> = [], hasInvoiceDetails: Bool = true
    ) -> Decision {
        let entry = match.entry
        let postal = recipient.postal ?? entry?.postal
        let physical: Decision? = (postal != nil && !excluded.contains(.physical))
            ? .channel(.physical, Reason(code: "postal_address", text: "Printed and posted to the postal address."))
            : nil

        var ePost: Decision?
        if let entry, entry.mailboxID != nil, entry.verified, !entry.optedOut, entry.preference == .digital, !excluded.contains(.ePost) {
            ePost = .channel(.ePost, Reason(code: "epost_mailbox", text: "The recipient has a digital mailbox and prefers digital delivery."))
        }
        var eBill: Decision?
        let eBillID = recipient.eBillID ?? entry?.eBillID
        if eBillID != nil, hasInvoiceDetails, !excluded.contains(.eBill), kind == .invoice || recipient.isEBillAddressOnly {
            eBill = .channel(.eBill, Reason(code: recipient.isEBillAddressOnly ? "ebill_address" : "ebill_registered", text: "The recipient receives bills through eBill."))
        }

        let unreachable = Decision.unreachable(unreachableReason(match: match, recipient: recipient, excluded: excluded))
        switch policy {
        case .physicalOnly:
            return physical.map { _ in .channel(.physical, Reason(code: "physical_only_policy", text: "The sender asked for print.")) } ?? unreachable
        case .digitalOnly:
            if let ePost { return ePost }
            if let eBill { return eBill }
            if let entry, entry.preference == .physical, entry.mailboxID != nil {
                return .unreachable(Reason(code: "recipient_prefers_physical", text: "The recipient prefers paper and the sender allows digital delivery only."))
            }
            return unreachable
        case .eBillPreferred:
            return eBill ?? ePost ?? preferencePhysical(entry, physical) ?? unreachable
        case .auto:
            return ePost ?? eBill ?? preferencePhysical(entry, physical) ?? unreachable
        }
    }

    private static func preferencePhysical(_ entry: DirectoryEntry?, _ physical: Decision?) -> Decision? {
        guard let physical else { return nil }
        if let entry, entry.mailboxID != nil, entry.preference == .physical {
            return .channel(.physical, Reason(code: "recipient_prefers_physical", text: "The recipient asked for paper letters."))
        }
        if let entry, entry.kind == .business, entry.mailboxID != nil, !entry.verified {
            return .channel(.physical, pausedInboxReason)
        }
        return physical
    }

    /// Why a letter to a paused business inbox (its organisation not verified again after a
    /// profile change) is printed: the routed event says so.
    public static let pausedInboxReason = Reason(
        code: "mailbox_paused",
        text: "The recipient's business inbox is paused until its organisation is verified again (not_verified): printed and posted to its postal address."
    )

    private static func unreachableReason(match: DirectoryMatch, recipient: Recipient, excluded: Set<Channel>) -> Reason {
        if !excluded.isEmpty {
            return Reason(code: "unreachable", text: "No channel is left after \(excluded.map(\.rawValue).sorted().joined(separator: ", ")) failed.")
        }
        // The directory's own code in parentheses: it is what the sender can act on.
        let why = directoryReason(match)
        return Reason(code: "unreachable", text: "\(why.text.dropLast()) (\(why.code)), and no postal address is known.")
    }

    /// The answer of a reachability check (`GET /v1/reachability`, `POST /v1/reachability-checks`,
    /// SOAP `CheckReachability[Batch]`): the channel `auto` would choose, with the directory's
    /// reason code (`not_found`, `multiple_matches`, `opted_out`, `not_verified`) when nothing is
    /// left, and in `directoryReason` why no digital channel was found even when print reaches.
    public static func reachability(kind: EnvelopeKind, recipient: Recipient, match: DirectoryMatch) -> Reachability {
        let directoryReason = directoryReason(match)
        switch decide(kind: kind, policy: .auto, recipient: recipient, match: match) {
        case .channel(let channel, let reason):
            return Reachability(channel: channel, reason: reason, directoryReason: channel == .physical ? directoryReason : nil)
        case .unreachable:
            return Reachability(channel: nil, reason: directoryReason, directoryReason: directoryReason)
        }
    }

    /// Why the directory yields no digital delivery for `match` (ignoring eBill, which the
    /// channel decision covers).
    static func directoryReason(_ match: DirectoryMatch) -> Reason {
        switch match {
        case .multiple(let count):
            return Reason(code: "multiple_matches", text: "\(count) directory entries match; give a more precise address (house number, full name) or an ePost address.")
        case .found(let entry) where entry.optedOut:
            return Reason(code: "opted_out", text: "The recipient opted out of digital delivery.")
        case .found(let entry) where !entry.verified:
            return Reason(code: "not_verified", text: "The recipient's mailbox is not verified yet.")
        case .found(let entry) where entry.preference == .physical:
            return Reason(code: "recipient_prefers_physical", text: "The recipient asked for paper letters.")
        case .found:
            return Reason(code: "not_found", text: "The recipient is known but has no digital mailbox.")
        case .notFound:
            return Reason(code: "not_found", text: "No mailbox, eBill registration or postal address is known.")
        }
    }
}

/// Which channel would reach a recipient, and why.
public struct Reachability: Sendable, Hashable {
    /// The channel `auto` routing would choose; nil when none reaches.
    public var channel: Channel?
    /// Why that channel (or, when none, the directory's reason code).
    public var reason: Reason
    /// Why no digital channel (ePost, eBill) was found; nil when one was.
    public var directoryReason: Reason?

    public var isDigital: Bool { channel == .ePost || channel == .eBill }

    /// The answer for a recipient that cannot even be checked (`invalid_recipient`).
    public static func invalid(_ text: String) -> Reachability {
        let reason = Reason(code: "invalid_recipient", text: text)
        return Reachability(channel: nil, reason: reason, directoryReason: reason)
    }

    public init(channel: Channel?, reason: Reason, directoryReason: Reason?) {
        self.channel = channel
        self.reason = reason
        self.directoryReason = directoryReason
    }
}
