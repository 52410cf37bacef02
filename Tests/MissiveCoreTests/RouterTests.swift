import MissiveCore
import Testing

@Suite("Router")
struct RouterTests {
    // MARK: Fixtures

    static let address = PostalAddress(name: "Anna Muster", street: "Bahnhofstrasse", houseNumber: "1", postcode: "8001", town: "Zürich")
    static let entryAddress = PostalAddress(name: "Anna Muster", street: "Seestrasse", houseNumber: "7", postcode: "8002", town: "Zürich")
    static let eBillID = "41100000000000017"

    /// What the directory says, in the words of DESIGN §6.
    struct Situation: Sendable, CustomTestStringConvertible {
        var name: String
        var match: DirectoryMatch
        var testDescription: String { name }
    }

    static func entry(
        kind: DirectoryEntry.Kind = .private, postal: PostalAddress? = nil, mailbox: Bool = true, eBill: Bool = false,
        preference: DeliveryPreference = .digital, verified: Bool = true, optedOut: Bool = false
    ) -> DirectoryMatch {
        .found(DirectoryEntry(
            kind: kind, postal: postal, ePostAddress: mailbox ? "anna@epost.example" : nil,
            eBillID: eBill ? eBillID : nil, mailboxID: mailbox ? .generate() : nil,
            preference: preference, verified: verified, optedOut: optedOut
        ))
    }

    static let situations: [Situation] = [
        Situation(name: "not found", match: .notFound),
        Situation(name: "multiple matches", match: .multiple(3)),
        Situation(name: "mailbox, digital", match: entry()),
        Situation(name: "mailbox, digital, entry address", match: entry(postal: entryAddress)),
        Situation(name: "mailbox, physical", match: entry(preference: .physical)),
        Situation(name: "mailbox, physical, entry address", match: entry(postal: entryAddress, preference: .physical)),
        Situation(name: "mailbox unverified", match: entry(verified: false)),
        Situation(name: "mailbox unverified, entry address", match: entry(postal: entryAddress, verified: false)),
        Situation(name: "opted out", match: entry(optedOut: true)),
        Situation(name: "opted out, entry address", match: entry(postal: entryAddress, optedOut: true)),
        Situation(name: "opted out and unverified", match: entry(verified: false, optedOut: true)),
        Situation(name: "opted out, physical", match: entry(postal: entryAddress, preference: .physical, optedOut: true)),
        Situation(name: "eBill registered, no mailbox", match: entry(kind: .business, postal: entryAddress, mailbox: false, eBill: true)),
        Situation(name: "eBill registered, no mailbox, no address", match: entry(kind: .business, mailbox: false, eBill: true)),
        Situation(name: "eBill registered, mailbox digital", match: entry(eBill: true)),
        Situation(name: "eBill registered, mailbox physical", match: entry(postal: entryAddress, eBill: true, preference: .physical)),
        Situation(name: "known address only", match: entry(kind: .business, postal: entryAddress, mailbox: false)),
    ]

    struct Addressing: Sendable, CustomTestStringConvertible {
        var name: String
        var recipient: Recipient
        var testDescription: String { name }
    }

    static let addressings: [Addressing] = [
        Addressing(name: "UID", recipient: Recipient(uid: "CHE-123.456.789")),
        Addressing(name: "UID + postal", recipient: Recipient(uid: "CHE-123.456.789", postal: address)),
        Addressing(name: "postal", recipient: Recipient(postal: address)),
        Addressing(name: "ePost address", recipient: Recipient(ePostAddress: "anna@epost.example")),
        Addressing(name: "eBill id only", recipient: Recipient(eBillID: eBillID)),
        Addressing(name: "eBill id + postal", recipient: Recipient(eBillID: eBillID, postal: address)),
    ]

    static let exclusions: [Set<Channel>] = [[], [.ePost], [.eBill], [.physical], [.ePost, .eBill], [.ePost, .physical], [.eBill, .physical], [.ePost, .eBill, .physical]]

    // MARK: The design, independently

    /// DESIGN §6 in plain terms: each policy is an ordered preference of channels; the first
    /// one the recipient can be reached on (and that has not failed) wins.
    /// eBill carries only bills, so it also needs the invoice details (amount, currency).
    static func expected(kind: EnvelopeKind, policy: ChannelPolicy.Mode, recipient: Recipient, match: DirectoryMatch, excluded: Set<Channel>, hasInvoiceDetails: Bool = true) -> (channel: Channel?, code: String) {
        let entry = match.entry
        let onlyEBillID = recipient.eBillID != nil && recipient.ePostAddress == nil && recipient.uid == nil && recipient.postal == nil
        let mailboxPrefersPaper = entry.map { $0.mailboxID != nil && $0.preference == .physical } ?? false
        var reachable: [Channel: String] = [:]
        if let entry, entry.mailboxID != nil, entry.verified, !entry.optedOut, entry.preference == .digital {
            reachable[.ePost] = "epost_mailbox"
        }
        if (recipient.eBillID ?? entry?.eBillID) != nil, hasInvoiceDetails, kind == .invoice || onlyEBillID {
            reachable[.eBill] = onlyEBillID ? "ebill_address" : "ebill_registered"
        }
        if (recipient.postal ?? entry?.postal) != nil {
            switch policy {
            case .physicalOnly: reachable[.physical] = "physical_only_policy"
            case .auto, .eBillPreferred, .digitalOnly: reachable[.physical] = mailboxPrefersPaper ? "recipient_prefers_physical" : "postal_address"
            }
        }
        let order: [Channel] = switch policy {
        case .auto: [.ePost, .eBill, .physical]
        case .eBillPreferred: [.eBill, .ePost, .physical]
        case .digitalOnly: [.ePost, .eBill]
        case .physicalOnly: [.physical]
        }
        if let channel = order.first(where: { reachable[$0] != nil && !excluded.contains($0) }) {
            return (channel, reachable[channel]!)
        }
        if policy == .digitalOnly, mailboxPrefersPaper { return (nil, "recipient_prefers_physical") }
        return (nil, "unreachable")
    }

    /// The directory's reason code for an unreachable recipient (DESIGN §6, reachability). A found,
    /// verified entry that still cannot be reached answers `not_found` (see `prefersPaperWithoutAddress`).
    static func directoryCode(_ match: DirectoryMatch) -> String {
        switch match {
        case .multiple: "multiple_matches"
        case .notFound: "not_found"
        case .found(let entry):
            entry.optedOut ? "opted_out" : !entry.verified ? "not_verified" : entry.preference == .physical ? "recipient_prefers_physical" : "not_found"
        }
    }

    // MARK: Exhaustive

    @Test("decide: every policy × situation × addressing × exclusion", arguments: ChannelPolicy.Mode.allCases, [EnvelopeKind.invoice, .letter, .payslip])
    func decideExhaustively(policy: ChannelPolicy.Mode, kind: EnvelopeKind) {
        for situation in Self.situations {
            for addressing in Self.addressings {
                for (excluded, hasInvoiceDetails) in Self.exclusions.flatMap({ set in [true, false].map { (set, $0) } }) {
                    let decision = Router.decide(kind: kind, policy: policy, recipient: addressing.recipient, match: situation.match, excluded: excluded, hasInvoiceDetails: hasInvoiceDetails)
                    let want = Self.expected(kind: kind, policy: policy, recipient: addressing.recipient, match: situation.match, excluded: excluded, hasInvoiceDetails: hasInvoiceDetails)
                    let context: Comment = "\(situation.name), \(addressing.name), excluded \(excluded.map(\.rawValue).sorted()), invoice details \(hasInvoiceDetails)"
                    switch decision {
                    case .channel(let channel, let reason):
                        #expect(channel == want.channel, context)
                        #expect(reason.code == want.code, context)
                        #expect(!excluded.contains(channel), context)
                        if policy == .physicalOnly { #expect(channel == .physical, context) }
                        if policy == .digitalOnly { #expect(channel != .physical, context) }
                    case .unreachable(let reason):
                        #expect(want.channel == nil, context)
                        #expect(reason.code == want.code, context)
                        if reason.code == "unreachable" {
                            if excluded.isEmpty {
                                #expect(reason.text.contains(Self.directoryCode(situation.match)), context)
                            } else {
                                for channel in excluded { #expect(reason.text.contains(channel.rawValue), context) }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test("reachability answers what auto would choose, with the directory's reason code", arguments: [EnvelopeKind.invoice, .letter])
    func reachabilityExhaustively(kind: EnvelopeKind) {
        for situation in Self.situations {
            for addressing in Self.addressings {
                let answer = Router.reachability(kind: kind, recipient: addressing.recipient, match: situation.match)
                let want = Self.expected(kind: kind, policy: .auto, recipient: addressing.recipient, match: situation.match, excluded: [])
                let context: Comment = "\(situation.name), \(addressing.name)"
                #expect(answer.channel == want.channel, context)
                #expect(answer.reason.code == (want.channel == nil ? Self.directoryCode(situation.match) : want.code), context)
                // Why not digital: absent when a digital channel reaches, the directory's code otherwise.
                #expect(answer.isDigital == (want.channel == .ePost || want.channel == .eBill), context)
                #expect(answer.directoryReason?.code == (answer.isDigital ? nil : Self.directoryCode(situation.match)), context)
            }
        }
    }

    // MARK: Readable cases

    @Test("auto prefers the mailbox of a recipient who prefers digital")
    func autoPrefersMailbox() {
        let decision = Router.decide(kind: .letter, policy: .auto, recipient: Recipient(postal: Self.address), match: Self.entry())
        #expect(decision.channel == .ePost)
        #expect(decision.code == "epost_mailbox")
    }

    @Test("auto prints for a recipient who prefers paper, and says so")
    func autoRespectsPaperPreference() {
        let decision = Router.decide(kind: .letter, policy: .auto, recipient: Recipient(postal: Self.address), match: Self.entry(preference: .physical))
        #expect(decision.channel == .physical)
        #expect(decision.code == "recipient_prefers_physical")
    }

    @Test("auto sends invoices through eBill when there is no mailbox, letters on paper")
    func autoEBillOnlyForInvoices() {
        let match = Self.entry(kind: .business, postal: Self.entryAddress, mailbox: false, eBill: true)
        let invoice = Router.decide(kind: .invoice, policy: .auto, recipient: Recipient(uid: "CHE-123.456.789"), match: match)
        #expect(invoice.channel == .eBill)
        #expect(invoice.code == "ebill_registered")
        let letter = Router.decide(kind: .letter, policy: .auto, recipient: Recipient(uid: "CHE-123.456.789"), match: match)
        #expect(letter.channel == .physical)
        #expect(letter.code == "postal_address")
    }

    @Test("eBillPreferred beats a digital mailbox for invoices only")
    func eBillPreferred() {
        let match = Self.entry(eBill: true)
        #expect(Router.decide(kind: .invoice, policy: .eBillPreferred, recipient: Recipient(uid: "CHE-123.456.789"), match: match).channel == .eBill)
        #expect(Router.decide(kind: .invoice, policy: .auto, recipient: Recipient(uid: "CHE-123.456.789"), match: match).channel == .ePost)
        #expect(Router.decide(kind: .letter, policy: .eBillPreferred, recipient: Recipient(uid: "CHE-123.456.789"), match: match).channel == .ePost)
    }

    @Test("without invoice details eBill is never chosen")
    func eBillNeedsInvoiceDetails() {
        let match = Self.entry(kind: .business, postal: Self.entryAddress, mailbox: false, eBill: true)
        let decision = Router.decide(kind: .invoice, policy: .eBillPreferred, recipient: Recipient(uid: "CHE-123.456.789"), match: match, hasInvoiceDetails: false)
        #expect(decision.channel == .physical)
        let eBillOnly = Router.decide(kind: .invoice, policy: .auto, recipient: Recipient(eBillID: Self.eBillID), match: .notFound, hasInvoiceDetails: false)
        #expect(eBillOnly.channel == nil)
        #expect(eBillOnly.code == "unreachable")
    }

    @Test("a letter addressed by eBill id alone goes through eBill")
    func eBillAddressOnly() {
        let decision = Router.decide(kind: .letter, policy: .auto, recipient: Recipient(eBillID: Self.eBillID), match: .notFound)
        #expect(decision.channel == .eBill)
        #expect(decision.code == "ebill_address")
    }

    @Test("physicalOnly prints even to a digital mailbox, and fails without an address")
    func physicalOnly() {
        let printed = Router.decide(kind: .letter, policy: .physicalOnly, recipient: Recipient(postal: Self.address), match: Self.entry())
        #expect(printed.channel == .physical)
        #expect(printed.code == "physical_only_policy")
        let failed = Router.decide(kind: .letter, policy: .physicalOnly, recipient: Recipient(uid: "CHE-123.456.789"), match: Self.entry())
        #expect(failed.channel == nil)
        #expect(failed.code == "unreachable")
    }

    @Test("digitalOnly never prints, and explains a paper preference")
    func digitalOnly() {
        let paper = Router.decide(kind: .letter, policy: .digitalOnly, recipient: Recipient(postal: Self.address), match: Self.entry(preference: .physical))
        #expect(paper.channel == nil)
        #expect(paper.code == "recipient_prefers_physical")
        let unknown = Router.decide(kind: .letter, policy: .digitalOnly, recipient: Recipient(postal: Self.address), match: .notFound)
        #expect(unknown.channel == nil)
        #expect(unknown.code == "unreachable")
    }

    @Test("unverified and opted-out mailboxes get no mail; the postal address is used instead")
    func unverifiedAndOptedOut() {
        for match in [Self.entry(postal: Self.entryAddress, verified: false), Self.entry(postal: Self.entryAddress, optedOut: true)] {
            let decision = Router.decide(kind: .letter, policy: .auto, recipient: Recipient(uid: "CHE-123.456.789"), match: match)
            #expect(decision.channel == .physical)
            #expect(decision.code == "postal_address")
        }
    }

    @Test("the sender's postal address counts when the directory has several matches")
    func multipleMatchesWithAddress() {
        let decision = Router.decide(kind: .letter, policy: .auto, recipient: Recipient(postal: Self.address), match: .multiple(2))
        #expect(decision.channel == .physical)
        let answer = Router.reachability(kind: .letter, recipient: Recipient(uid: "CHE-123.456.789"), match: .multiple(2))
        #expect(answer.channel == nil)
        #expect(answer.reason.code == "multiple_matches")
        #expect(answer.reason.text.contains("2"))
    }

    @Test("a failed channel is never chosen again; the fallback is the next in line")
    func exclusionFallsBack() {
        let recipient = Recipient(postal: Self.address)
        let match = Self.entry(eBill: true)
        #expect(Router.decide(kind: .invoice, policy: .auto, recipient: recipient, match: match, excluded: [.ePost]).channel == .eBill)
        #expect(Router.decide(kind: .invoice, policy: .auto, recipient: recipient, match: match, excluded: [.ePost, .eBill]).channel == .physical)
        let none = Router.decide(kind: .invoice, policy: .auto, recipient: recipient, match: match, excluded: [.ePost, .eBill, .physical])
        #expect(none.channel == nil)
        #expect(none.code == "unreachable")
    }

    @Test("opting out closes the ePost mailbox only: an invoice still goes by eBill (intended)")
    func optedOutStillGetsEBill() {
        let match = Self.entry(kind: .business, postal: Self.entryAddress, eBill: true, optedOut: true)
        let uid = Recipient(uid: "CHE-123.456.789")
        let decision = Router.decide(kind: .invoice, policy: .auto, recipient: uid, match: match)
        #expect(decision.channel == .eBill)
        #expect(decision.code == "ebill_registered")
        #expect(Router.decide(kind: .invoice, policy: .digitalOnly, recipient: uid, match: match).channel == .eBill)
        // The mailbox itself is never used, and a letter (no eBill) goes to print.
        #expect(Router.decide(kind: .invoice, policy: .auto, recipient: uid, match: match, excluded: [.eBill]).channel == .physical)
        #expect(Router.decide(kind: .letter, policy: .auto, recipient: uid, match: match).channel == .physical)
        #expect(Router.decide(kind: .letter, policy: .digitalOnly, recipient: uid, match: match).channel == nil)
    }

    @Test("reachability does not say not_found for a recipient whose mailbox was found")
    func prefersPaperWithoutAddress() {
        let answer = Router.reachability(kind: .letter, recipient: Recipient(uid: "CHE-123.456.789"), match: Self.entry(preference: .physical))
        #expect(answer.channel == nil)
        #expect(answer.reason.code == "recipient_prefers_physical")
    }

    @Test("a paused business inbox (organisation not verified again) is printed, and says why")
    func pausedBusinessInbox() {
        let paused = Self.entry(kind: .business, postal: Self.entryAddress, verified: false)
        let uid = Recipient(uid: "CHE-123.456.789")
        let decision = Router.decide(kind: .letter, policy: .auto, recipient: uid, match: paused)
        #expect(decision.channel == .physical && decision.code == "mailbox_paused")
        let answer = Router.reachability(kind: .letter, recipient: uid, match: paused)
        #expect(answer.reason.code == "mailbox_paused" && answer.directoryReason?.code == "not_verified")
        // A private mailbox not verified yet is plainly printed at the address.
        #expect(Router.decide(kind: .letter, policy: .auto, recipient: uid, match: Self.entry(postal: Self.entryAddress, verified: false)).code == "postal_address")
    }

    @Test("reachability codes: not_found, multiple_matches, opted_out, not_verified")
    func reachabilityCodes() {
        let uid = Recipient(uid: "CHE-123.456.789")
        #expect(Router.reachability(kind: .letter, recipient: uid, match: .notFound).reason.code == "not_found")
        #expect(Router.reachability(kind: .letter, recipient: uid, match: .multiple(4)).reason.code == "multiple_matches")
        #expect(Router.reachability(kind: .letter, recipient: uid, match: Self.entry(optedOut: true)).reason.code == "opted_out")
        #expect(Router.reachability(kind: .letter, recipient: uid, match: Self.entry(verified: false)).reason.code == "not_verified")
        let reachable = Router.reachability(kind: .letter, recipient: uid, match: Self.entry())
        #expect(reachable.channel == .ePost)
        #expect(reachable.reason.code == "epost_mailbox")
    }
}

extension Router.Decision {
    var channel: Channel? {
        if case .channel(let channel, _) = self { return channel }
        return nil
    }

    var code: String {
        switch self {
        case .channel(_, let reason), .unreachable(let reason): reason.code
        }
    }
}
