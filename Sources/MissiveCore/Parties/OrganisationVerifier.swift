import Foundation
import Logging

/// Verifies sender organisations as ePost does: a letter through Missive's own physical
/// channel carries a one-time code to the organisation's postal address; entering the code
/// verifies it. Until then it cannot send live letters (test letters, which reach no one,
/// are allowed so integration can start at once). Changing the profile pauses sending until
/// a new code, sent by post, is entered. Codes expire, are single-use, and a letter is burnt
/// after a few wrong codes; letters are rate-limited.
public struct OrganisationVerifier: Sendable {
    public struct Rules: Sendable {
        /// How long a code is valid.
        public var codeLifetime: TimeInterval
        /// Wrong codes before a letter is burnt.
        public var maxAttempts: Int
        /// Letters per organisation per 24 hours.
        public var maxLettersPerDay: Int

        public init(codeLifetime: TimeInterval = 30 * 86_400, maxAttempts: Int = 5, maxLettersPerDay: Int = 3) {
            self.codeLifetime = codeLifetime
            self.maxAttempts = maxAttempts
            self.maxLettersPerDay = maxLettersPerDay
        }
    }

    let postOffice: PostOffice
    let organisations: any OrganisationStore
    /// The operator's own organisation: the sender of verification letters.
    let sender: OrganisationID
    /// Codes are stored as keyed hashes (a 40-bit code under a plain hash is undone by trying
    /// them all).
    let codes: VerificationCodeHasher
    public let rules: Rules
    let logger: Logger

    public init(postOffice: PostOffice, organisations: any OrganisationStore, sender: OrganisationID, codes: VerificationCodeHasher, rules: Rules = Rules(), logger: Logger) {
        self.postOffice = postOffice
        self.organisations = organisations
        self.sender = sender
        self.codes = codes
        self.rules = rules
        self.logger = logger
    }

    /// Replaces the profile: sending pauses until the code of a new letter is entered.
    public func changeProfile(_ id: OrganisationID, to profile: OrganisationProfile) async throws -> VerificationLetter {
        try profile.validate()
        try await organisations.changeProfile(id, to: profile, at: postOffice.clock.now())
        await businessInboxChanged(id)
        return try await sendLetter(to: id)
    }

    /// Posts a new letter with a fresh code to an unverified organisation (earlier codes stop
    /// working). At most ``Rules/maxLettersPerDay`` a day.
    public func sendLetter(to id: OrganisationID) async throws -> VerificationLetter {
        guard let organisation = try await organisations.organisation(id), let profile = organisation.profile else {
            throw MissiveError(.notFound, "No such organisation, or it has no postal address to verify.")
        }
        guard organisation.state == .unverified else {
            throw MissiveError(.conflict, "The organisation is verified already.")
        }
        let now = postOffice.clock.now()
        guard try await organisations.verificationLetterCount(of: id, since: now.addingTimeInterval(-86_400)) < rules.maxLettersPerDay else {
            throw MissiveError(.rateLimited, "At most \(rules.maxLettersPerDay) verification letters a day; enter the code of the last one.")
        }
        let code = VerificationCode.generate()
        var letter = VerificationLetter(
            id: .generate(at: now), organisationID: id, codeHash: codes.hash(code, context: id.rawValue) ?? "",
            envelopeID: nil, createdAt: now, expiresAt: now.addingTimeInterval(rules.codeLifetime)
        )
        try await organisations.addVerificationLetter(letter)
        let pdf = LetterPDF.make(lines: Self.letterText(profile: profile, code: code, expiresAt: letter.expiresAt))
        let document = try await store(pdf)
        let draft = EnvelopeDraft(
            ingress: .rest, ingressReference: letter.id.rawValue, kind: .notice, title: "Missive verification code",
            reference: letter.id.rawValue, recipient: Recipient(postal: profile.postal), documents: [document],
            policy: ChannelPolicy(mode: .physicalOnly), print: PrintOptions(mailClass: .a)
        )
        let result = try await postOffice.submit(draft, organisation: sender, principal: "missive:verification", mode: .live)
        let envelope = switch result {
        case .accepted(let envelope), .replayed(let envelope, _): envelope
        }
        try await organisations.setVerificationEnvelope(letter.id, envelope: envelope.id)
        letter.envelopeID = envelope.id
        logger.info("verification letter posted", metadata: ["missive.organisation.id": "\(id)", LogKey.envelopeID: "\(envelope.id)"])
        return letter
    }

    /// Checks a code against the organisation's open letter; verifies the organisation.
    public func verify(_ id: OrganisationID, code: String) async throws {
        guard let letter = try await organisations.openVerificationLetter(of: id) else {
            if try await organisations.organisationState(id) == .verified {
                throw MissiveError(.conflict, "The organisation is verified already.")
            }
            throw MissiveError(.verificationFailed, "No verification letter is open; request a new one.")
        }
        guard postOffice.clock.now() < letter.expiresAt else {
            throw MissiveError(.verificationFailed, "The code has expired; request a new letter.")
        }
        guard letter.attempts < rules.maxAttempts else {
            throw MissiveError(.verificationFailed, "Too many wrong codes for this letter; request a new one.")
        }
        guard codes.matches(code, storedHash: letter.codeHash, context: id.rawValue) else {
            let attempts = try await organisations.recordFailedVerification(letter.id)
            let left = max(0, rules.maxAttempts - attempts)
            throw MissiveError(.verificationFailed, left > 0 ? "The code is wrong; \(left) attempt\(left == 1 ? "" : "s") left." : "The code is wrong, and this letter is now burnt; request a new one.", pointer: "/code")
        }
        guard try await organisations.completeVerification(letter.id, organisation: id, at: postOffice.clock.now()) else {
            throw MissiveError(.verificationFailed, "This code was used or replaced meanwhile.")
        }
        logger.info("organisation verified", metadata: ["missive.organisation.id": "\(id)"])
        await businessInboxChanged(id)
    }

    /// The store paused or resumed the business inbox with the organisation's state (same
    /// transaction); letters routed to it and not yet dispatched follow. A failure here is
    /// logged: those letters then go as routed (the ePost channel refuses a paused inbox,
    /// and the letter falls back to print).
    private func businessInboxChanged(_ id: OrganisationID) async {
        do {
            try await postOffice.businessInboxChanged(id)
        } catch {
            logger.warning("letters to the business inbox not re-routed", metadata: ["missive.organisation.id": "\(id)", LogKey.error: "\(PostOffice.describe(error))"])
        }
    }

    /// Stores the letter's PDF like any document.
    private func store(_ pdf: Data) async throws -> DocumentRef {
        let writer = try postOffice.ports.blobs.makeWriter(limit: Int64(pdf.count))
        try await writer.write(pdf)
        let blob = try await writer.finish { head, tail in try PDFInspector.validate(head: head, tail: tail) }
        return DocumentRef(role: .main, filename: "verification.pdf", mediaType: "application/pdf", byteSize: blob.byteSize, sha256: blob.sha256, pageCount: 1, storageKey: blob.storageKey)
    }

    /// The letter: the address block, the code, what to do with it.
    static func letterText(profile: OrganisationProfile, code: String, expiresAt: Date) -> [String] {
        let postal = profile.postal
        let street = [postal.street, postal.houseNumber].compactMap { $0 }.joined(separator: " ")
        let day = Timestamp.string(expiresAt).prefix(10)
        return [profile.legalName, postal.addressLine2, street, "\(postal.postcode) \(postal.town)", "", "", "",
                "Your Missive verification code", "",
                "        \(code)", "",
                "Enter this code in Missive (POST /v1/organisation/verification) before \(day) to",
                "verify your organisation; until then it can send test letters only. The code works",
                "once. If you did not register with Missive, please ignore this letter."].compactMap { $0 }
    }
}
