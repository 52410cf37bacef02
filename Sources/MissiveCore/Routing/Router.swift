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
        return physical
    }

    private static func unreachableReason(match: DirectoryMatch, recipient: Recipient, excluded: Set<Channel>) -> Reason {
        if !excluded.isEmpty {
            return Reason(code: "unreachable", text: "No channel is left after \(excluded.map(\.rawValue).sorted().joined(separator: ", ")) failed.")
        }
        switch match {
        case .multiple:
            return Reason(code: "unreachable", text: "The recipient matches several directory entries (multiple_matches) and no postal address was given.")
        case .found(let entry) where entry.optedOut:
            return Reason(code: "unreachable", text: "The recipient opted out of digital delivery (opted_out) and no postal address is known.")
        case .found(let entry) where !entry.verified:
            return Reason(code: "unreachable", text: "The recipient's mailbox is not verified (not_verified) and no postal address is known.")
        case .found(let entry) where entry.preference == .physical:
            return Reason(code: "unreachable", text: "The recipient asked for paper letters (recipient_prefers_physical) but no postal address is known.")
        case .found, .notFound:
            return Reason(code: "unreachable", text: "No mailbox, eBill registration or postal address is known for the recipient (not_found).")
        }
    }

    /// The answer of `GET /v1/reachability`: the channel `auto` would choose, with the
    /// directory's reason code (`not_found`, `multiple_matches`, `opted_out`, `not_verified`).
    public static func reachability(kind: EnvelopeKind, recipient: Recipient, match: DirectoryMatch) -> (channel: Channel?, reason: Reason) {
        switch decide(kind: kind, policy: .auto, recipient: recipient, match: match) {
        case .channel(let channel, let reason):
            return (channel, reason)
        case .unreachable:
            switch match {
            case .multiple(let count):
                return (nil, Reason(code: "multiple_matches", text: "\(count) directory entries match; give a more precise address."))
            case .found(let entry) where entry.optedOut:
                return (nil, Reason(code: "opted_out", text: "The recipient opted out of digital delivery."))
            case .found(let entry) where !entry.verified:
                return (nil, Reason(code: "not_verified", text: "The recipient's mailbox is not verified yet."))
            case .found(let entry) where entry.preference == .physical:
                return (nil, Reason(code: "recipient_prefers_physical", text: "The recipient asked for paper letters, but no postal address is known."))
            case .found, .notFound:
                return (nil, Reason(code: "not_found", text: "No mailbox, eBill registration or postal address is known."))
            }
        }
    }
}
