import Foundation
import MissiveCore
import MissiveSMTP
import MissiveStore

/// The sandbox's demo organisation and test recipients, one per outcome. Created once per
/// data folder; the secrets are kept in the store's settings (sandbox only) so that
/// `sandbox.json` stays valid across restarts.
struct SandboxSeed: Codable, Sendable {
    struct TestRecipient: Codable, Sendable {
        var id: String
        var outcome: String
        var recipient: [String: AnyCodable]
        var mailboxKey: String?
        var description: String
    }

    var organisationId: String
    var apiKey: String
    var recipients: [TestRecipient]

    static let settingKey = "sandbox.seed"

    /// Loads the seed, creating organisation, directory entries and mailboxes on first run.
    static func ensure(in store: SQLiteStore) async throws -> SandboxSeed {
        if let text = try await store.setting(settingKey), let seed = try? JSONDecoder().decode(SandboxSeed.self, from: Data(text.utf8)) {
            return seed
        }
        let organisation = try await store.createOrganisation(name: "Demo AG (sandbox)", mode: .test)
        var recipients: [TestRecipient] = []

        func postal(_ address: PostalAddress) -> [String: AnyCodable] {
            var object: [String: AnyCodable] = ["name": .string(address.name), "street": .string(address.street), "postcode": .string(address.postcode), "town": .string(address.town), "country": .string(address.country)]
            if let number = address.houseNumber { object["houseNumber"] = .string(number) }
            return ["postal": .object(object)]
        }

        let anna = PostalAddress(name: "Anna Muster", street: "Bahnhofstrasse", houseNumber: "1", postcode: "8001", town: "Zürich")
        let annaEntry = DirectoryEntry(kind: .private, postal: anna, ePostAddress: "anna.muster@epost.sandbox.missive.ch", preference: .digital)
        let (_, annaKey) = try await store.createMailbox(for: annaEntry)
        recipients.append(TestRecipient(id: "digital", outcome: "digital", recipient: postal(anna), mailboxKey: annaKey, description: "Has a digital mailbox; opens letters when you download them with the mailbox key."))

        let beat = PostalAddress(name: "Beat Beispiel", street: "Marktgasse", houseNumber: "7", postcode: "3011", town: "Bern")
        let beatEntry = DirectoryEntry(kind: .private, postal: beat, ePostAddress: "beat.beispiel@epost.sandbox.missive.ch", preference: .digital)
        let (_, beatKey) = try await store.createMailbox(for: beatEntry)
        recipients.append(TestRecipient(id: "digital-never-opens", outcome: "digital-never-opens", recipient: ["ePostAddress": .string("beat.beispiel@epost.sandbox.missive.ch")], mailboxKey: beatKey, description: "Has a digital mailbox and never opens: advance the sandbox clock 7 days to see not_consulted."))

        let carla = PostalAddress(name: "Carla Rechnung AG", street: "Rue du Rhône", houseNumber: "12", postcode: "1204", town: "Genève")
        try await store.upsert(DirectoryEntry(kind: .business, postal: carla, uid: "CHE-123.456.789", eBillID: "41100000000000017", preference: .physical))
        recipients.append(TestRecipient(id: "ebill", outcome: "ebill", recipient: ["eBillId": .string("41100000000000017")], mailboxKey: nil, description: "Registered for eBill: invoices (\"kind\": \"invoice\", \"invoice\": {\"amount\": \"120.50\", \"currency\": \"CHF\"}) go to the built-in eBill network; letters without invoice data are printed."))

        let dora = PostalAddress(name: "Dora Papier", street: "Postgasse", houseNumber: "5", postcode: "4051", town: "Basel")
        recipients.append(TestRecipient(id: "physical", outcome: "physical", recipient: postal(dora), mailboxKey: nil, description: "No mailbox: printed and posted by the (built-in) print partner."))

        let emil = PostalAddress(name: "Emil Unbekannt", street: "Nirgendweg", houseNumber: "99", postcode: "9999", town: "Nirgendwo")
        recipients.append(TestRecipient(id: "physical-returned", outcome: "physical-returned", recipient: postal(emil), mailboxKey: nil, description: "Printed and posted, then returned as undeliverable."))

        recipients.append(TestRecipient(id: "unreachable", outcome: "unreachable", recipient: ["ePostAddress": .string("nobody@epost.sandbox.missive.ch")], mailboxKey: nil, description: "Unknown ePost address and no postal address: the envelope fails as unreachable."))

        // Reachability answers (`directoryReason`): opted out, not verified, several matches.
        // The directory knows only their ePost addresses: give a postal address to have them printed.
        _ = try await store.createMailbox(for: DirectoryEntry(kind: .private, postal: nil, ePostAddress: "otto.ohnepost@epost.sandbox.missive.ch", optedOut: true))
        recipients.append(TestRecipient(id: "opted-out", outcome: "opted-out", recipient: ["ePostAddress": .string("otto.ohnepost@epost.sandbox.missive.ch")], mailboxKey: nil, description: "Closed their mailbox (opted_out): without a postal address the envelope fails; with one it is printed."))

        _ = try await store.createMailbox(for: DirectoryEntry(kind: .private, postal: nil, ePostAddress: "nora.neu@epost.sandbox.missive.ch", verified: false))
        recipients.append(TestRecipient(id: "not-verified", outcome: "not-verified", recipient: ["ePostAddress": .string("nora.neu@epost.sandbox.missive.ch")], mailboxKey: nil, description: "Opened a mailbox but has not verified it yet (not_verified): no digital delivery; without a postal address the envelope fails."))

        for number in ["3", "5"] {
            let hans = PostalAddress(name: "Hans Meier", street: "Dorfstrasse", houseNumber: number, postcode: "3006", town: "Bern")
            _ = try await store.createMailbox(for: DirectoryEntry(kind: .private, postal: hans, ePostAddress: "hans.meier.\(number)@epost.sandbox.missive.ch"))
        }
        let hansWithoutNumber = PostalAddress(name: "Hans Meier", street: "Dorfstrasse", postcode: "3006", town: "Bern")
        recipients.append(TestRecipient(id: "multiple-matches", outcome: "multiple-matches", recipient: postal(hansWithoutNumber), mailboxKey: nil, description: "Two Hans Meier live on Dorfstrasse (3 and 5): without a house number the directory never guesses (multiple_matches) and the letter is printed; with the number it reaches the right mailbox."))

        let seed = SandboxSeed(organisationId: organisation.organisationID.rawValue, apiKey: organisation.apiKey, recipients: recipients)
        try await store.setSetting(settingKey, String(decoding: try JSONEncoder().encode(seed), as: UTF8.self))
        return seed
    }

    /// What a newcomer needs to send a first letter, printed once the sandbox listens.
    func banner(httpURL: String, file: URL, smtp: SMTPInfo? = nil) -> String {
        var lines = [
            "",
            "Missive sandbox is ready at \(httpURL)",
            "  API key (test):  \(apiKey)",
            "  Everything below is also in \(file.path)",
            "",
            "  Test recipients (put `recipient` into an envelope):",
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for recipient in recipients {
            let json = (try? encoder.encode(recipient.recipient)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            lines.append("  - \(recipient.outcome): \(json)")
            lines.append("      \(recipient.description)")
            if let key = recipient.mailboxKey { lines.append("      mailbox key: \(key)") }
        }
        lines += [
            "",
            "  Try it:",
            "    curl -H 'Authorization: Bearer \(apiKey)' -F 'envelope={\"recipient\": <a recipient above>}' \\",
            "         -F 'document=@letter.pdf;type=application/pdf' \(httpURL)/v1/envelopes",
            "",
        ]
        if let smtp {
            lines += [
                "  SMTP: \(smtp.host):\(smtp.port), STARTTLS, AUTH with user \(organisationId) and the API key,",
                "    MAIL FROM:<letters@\(Self.senderDomain)>, RCPT TO:<physical@\(smtp.domain)> (any test recipient's id), a PDF attached.",
                "",
            ]
        }
        return lines.joined(separator: "\n")
    }

    /// The sandbox's SMTP side, once it listens.
    struct SMTPInfo: Sendable {
        var host: String
        var port: Int
        var domain: String
        var certificate: String?
    }

    /// The demo organisation's verified sender domain.
    static let senderDomain = "demo.sandbox.missive.ch"

    /// Gives the demo organisation its sender domain and an alias per test recipient (the
    /// recipient's id), so `physical@<hub domain>` reaches the physical test recipient.
    /// Idempotent; runs on every start.
    func ensureSMTP(in store: SQLiteStore) async throws {
        let organisation = OrganisationID(unchecked: organisationId)
        try await store.addSenderDomain(Self.senderDomain, organisation: organisation)
        for recipient in recipients {
            let json = try JSONEncoder().encode(AnyCodable.object(recipient.recipient))
            guard let parsed = SMTPRecipientJSON.recipient(from: json) else { continue }
            try await store.setAlias(recipient.id, recipient: parsed, organisation: organisation)
        }
    }

    /// The demo organisation's profile: verified by the operator, so its business inbox is
    /// reachable at once by this UID (letters sent to it with a test key appear there for
    /// test keys).
    static let demoProfile = OrganisationProfile(
        legalName: "Demo AG (sandbox)", uid: "CHE-109.322.551",
        postal: PostalAddress(name: "Demo AG (sandbox)", street: "Sandboxweg", houseNumber: "1", postcode: "3000", town: "Bern")
    )

    /// Gives the demo organisation its verified profile (and so a reachable business inbox)
    /// if it has none yet; data folders seeded before business inboxes get it on start.
    func ensureInbox(in store: SQLiteStore) async throws {
        let organisation = OrganisationID(unchecked: organisationId)
        guard try await store.organisation(organisation)?.profile == nil else { return }
        try await store.setVouchedProfile(Self.demoProfile, for: organisation)
    }

    /// Writes `sandbox.json` (atomically) once the server listens.
    func write(to directory: URL, httpURL: String, smtp: SMTPInfo? = nil, trustAnchor: String? = nil) throws {
        var object: [String: AnyCodable] = [
            "httpURL": .string(httpURL), "apiKey": .string(apiKey), "organisationId": .string(organisationId),
            "organisationUid": .string(Self.demoProfile.uid ?? ""),
        ]
        if let trustAnchor { object["trustAnchor"] = .string(trustAnchor) }
        if let smtp {
            object["smtpHost"] = .string(smtp.host)
            object["smtpPort"] = .int(smtp.port)
            object["smtpDomain"] = .string(smtp.domain)
            object["smtpUsername"] = .string(organisationId)
            object["smtpPassword"] = .string(apiKey)
            object["smtpFrom"] = .string("letters@\(Self.senderDomain)")
            if let certificate = smtp.certificate { object["smtpCertificate"] = .string(certificate) }
        }
        object["recipients"] = .array(recipients.map { recipient in
            var item: [String: AnyCodable] = ["id": .string(recipient.id), "outcome": .string(recipient.outcome), "recipient": .object(recipient.recipient), "description": .string(recipient.description)]
            if let key = recipient.mailboxKey { item["mailboxKey"] = .string(key) }
            if let smtp { item["smtpAddress"] = .string("\(recipient.id)@\(smtp.domain)") }
            return .object(item)
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(AnyCodable.object(object))
        try data.write(to: directory.appendingPathComponent("sandbox.json"), options: .atomic)
    }
}

/// A JSON value.
enum AnyCodable: Codable, Sendable, Hashable {
    case string(String)
    case int(Int)
    case object([String: AnyCodable])
    case array([AnyCodable])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) { self = .string(text) }
        else if let number = try? container.decode(Int.self) { self = .int(number) }
        else if let array = try? container.decode([AnyCodable].self) { self = .array(array) }
        else { self = .object(try container.decode([String: AnyCodable].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .int(let number): try container.encode(number)
        case .object(let object): try container.encode(object)
        case .array(let array): try container.encode(array)
        }
    }
}
