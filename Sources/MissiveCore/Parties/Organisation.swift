import Foundation

/// Who a sender organisation says it is: checked by sending a letter with a one-time code
/// to its postal address (DESIGN §9, as ePost verifies business customers).
public struct OrganisationProfile: Sendable, Hashable, Codable {
    /// The name in the commercial register.
    public var legalName: String
    /// The Swiss company UID (`CHE-123.456.789`).
    public var uid: String?
    /// Where the verification letter goes.
    public var postal: PostalAddress

    public init(legalName: String, uid: String?, postal: PostalAddress) {
        self.legalName = legalName
        self.uid = uid
        self.postal = postal
    }

    /// Refuses a profile that cannot be verified by post.
    public func validate() throws {
        let name = legalName.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.unicodeScalars.count <= 200, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw MissiveError(.invalidField, "legalName must be 1 to 200 characters without control characters.", pointer: "/legalName")
        }
        if let uid, !Recipient.isUID(uid) {
            throw MissiveError(.invalidField, "uid must look like CHE-123.456.789.", pointer: "/uid")
        }
        try Recipient(postal: postal).validate()
    }
}

/// Whether an organisation may send.
public enum OrganisationState: String, Sendable, Hashable, Codable {
    /// The code from its verification letter was entered: it may send.
    case verified
    /// Registered, or its profile changed, and the code is not entered yet: sending (and the
    /// business inbox) is paused.
    case unverified
}

/// A sender organisation as its administrators see it.
public struct Organisation: Sendable, Hashable {
    public var id: OrganisationID
    public var name: String
    public var profile: OrganisationProfile?
    public var state: OrganisationState
    /// Why it is unverified: `registered`, `profile_changed`.
    public var stateReason: String?
    public var createdAt: Date

    public init(id: OrganisationID, name: String, profile: OrganisationProfile?, state: OrganisationState, stateReason: String?, createdAt: Date) {
        self.id = id
        self.name = name
        self.profile = profile
        self.state = state
        self.stateReason = stateReason
        self.createdAt = createdAt
    }
}

/// One verification letter: the code is stored only as a hash.
public struct VerificationLetter: Sendable, Hashable {
    public var id: VerificationID
    public var organisationID: OrganisationID
    public var codeHash: String
    /// The letter's envelope (sent by the operator through the physical channel).
    public var envelopeID: EnvelopeID?
    public var createdAt: Date
    public var expiresAt: Date
    /// Wrong codes entered against this letter.
    public var attempts: Int
    public var usedAt: Date?
    /// A newer letter replaced this one.
    public var supersededAt: Date?

    public init(id: VerificationID, organisationID: OrganisationID, codeHash: String, envelopeID: EnvelopeID?, createdAt: Date, expiresAt: Date, attempts: Int = 0, usedAt: Date? = nil, supersededAt: Date? = nil) {
        self.id = id
        self.organisationID = organisationID
        self.codeHash = codeHash
        self.envelopeID = envelopeID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.attempts = attempts
        self.usedAt = usedAt
        self.supersededAt = supersededAt
    }
}

/// Sender organisations, their profiles and verification letters.
public protocol OrganisationStore: Sendable {
    func organisation(_ id: OrganisationID) async throws -> Organisation?
    /// Whether the organisation may send (verified); nil if unknown.
    func organisationState(_ id: OrganisationID) async throws -> OrganisationState?
    /// Stores a new unverified organisation with its profile.
    func register(_ id: OrganisationID, profile: OrganisationProfile, at: Date) async throws
    /// Replaces the profile and makes the organisation unverified (`profile_changed`).
    func changeProfile(_ id: OrganisationID, to profile: OrganisationProfile, at: Date) async throws
    /// Records a new letter and supersedes the organisation's open ones, in one transaction.
    func addVerificationLetter(_ letter: VerificationLetter) async throws
    /// Attaches the letter's envelope once it is submitted.
    func setVerificationEnvelope(_ letter: VerificationID, envelope: EnvelopeID) async throws
    /// The newest letter that is neither used nor superseded.
    func openVerificationLetter(of organisation: OrganisationID) async throws -> VerificationLetter?
    /// Letters sent to the organisation since `date` (for the rate limit).
    func verificationLetterCount(of organisation: OrganisationID, since date: Date) async throws -> Int
    /// Counts a wrong code; returns the attempts now recorded.
    func recordFailedVerification(_ letter: VerificationID) async throws -> Int
    /// Marks the letter used and the organisation verified, in one transaction; false if the
    /// letter was used or superseded meanwhile.
    func completeVerification(_ letter: VerificationID, organisation: OrganisationID, at: Date) async throws -> Bool
}
