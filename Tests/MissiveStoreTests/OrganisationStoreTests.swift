import Foundation
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("SQLiteStore organisations and keys")
struct OrganisationStoreTests {
    let base = StoreFixture.base
    let profile = OrganisationProfile(legalName: "Muster AG", uid: "CHE-123.456.789", postal: PostalAddress(name: "Muster AG", street: "Seestrasse", houseNumber: "1", postcode: "8002", town: "Zürich"))

    func letter(_ organisation: OrganisationID, at date: Date) -> VerificationLetter {
        VerificationLetter(id: .generate(at: date), organisationID: organisation, codeHash: "hash-\(date.timeIntervalSince1970)", envelopeID: nil, createdAt: date, expiresAt: date.addingTimeInterval(30 * 86_400))
    }

    @Test("a registered organisation is unverified until a letter's code completes; a new letter supersedes the open one")
    func verificationLifecycle() async throws {
        try await withStore { store in
            let id = OrganisationID.generate()
            try await store.register(id, profile: profile, at: base)
            #expect(try await store.organisationState(id) == .unverified)
            #expect(try await store.organisation(id)?.stateReason == "registered")
            #expect(try await store.organisation(id)?.profile == profile)
            let first = letter(id, at: base)
            try await store.addVerificationLetter(first)
            let second = letter(id, at: base.addingTimeInterval(60))
            try await store.addVerificationLetter(second)
            #expect(try await store.openVerificationLetter(of: id)?.id == second.id)
            #expect(try await store.verificationLetterCount(of: id, since: base) == 2)
            #expect(try await store.completeVerification(first.id, organisation: id, at: base) == false)  // superseded
            #expect(try await store.recordFailedVerification(second.id) == 1)
            #expect(try await store.recordFailedVerification(second.id) == 2)
            #expect(try await store.completeVerification(second.id, organisation: OrganisationID.generate(), at: base) == false)  // not this one's
            #expect(try await store.completeVerification(second.id, organisation: id, at: base) == true)
            #expect(try await store.completeVerification(second.id, organisation: id, at: base) == false)  // single use
            #expect(try await store.organisationState(id) == .verified)
            #expect(try await store.openVerificationLetter(of: id) == nil)
            // A profile change pauses sending again and supersedes any open letter.
            try await store.addVerificationLetter(letter(id, at: base.addingTimeInterval(120)))
            var moved = profile
            moved.postal.town = "Bern"
            try await store.changeProfile(id, to: moved, at: base.addingTimeInterval(180))
            #expect(try await store.organisationState(id) == .unverified)
            #expect(try await store.organisation(id)?.stateReason == "profile_changed")
            #expect(try await store.openVerificationLetter(of: id) == nil)
            await #expect(throws: MissiveError.self) { try await store.changeProfile(OrganisationID.generate(), to: moved, at: base) }
        }
    }

    @Test("organisations from before verification stay verified")
    func existingOrganisationsStayVerified() async throws {
        try await withStore { store in
            let created = try await store.createOrganisation(name: "Alt AG", mode: .live)
            #expect(try await store.organisationState(created.organisationID) == .verified)
            #expect(try await store.organisation(created.organisationID)?.profile == nil)
        }
    }

    @Test("keys carry roles; rotation keeps the old key until its grace ends; revocation keeps a working admin")
    func keys() async throws {
        try await withStore { store in
            let created = try await store.createOrganisation(name: "Keys AG", mode: .test)
            let org = created.organisationID
            let (reader, readerSecret) = try await store.mintAPIKey(organisation: org, mode: .live, name: "erp", roles: .reader)
            #expect(reader.roles == .reader)
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(readerSecret)) == .organisation(org, key: reader.id, mode: .live, roles: .reader))
            // Rotation: both work until the grace ends (here already over for the old one).
            let (successor, successorSecret) = try await store.rotateAPIKey(reader.id, organisation: org, until: Date().addingTimeInterval(3600))
            #expect(successor.roles == .reader && successor.name == "erp" && successor.id != reader.id)
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(readerSecret)) != nil)
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(successorSecret)) != nil)
            _ = try await store.rotateAPIKey(successor.id, organisation: org, until: Date().addingTimeInterval(-1))
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(successorSecret)) == nil)
            // Revocation: another organisation's key is not found; the last working admin key stays.
            await #expect(throws: MissiveError.self) { try await store.revokeAPIKey(reader.id, organisation: OrganisationID.generate(), at: Date()) }
            do {
                try await store.revokeAPIKey(created.keyID, organisation: org, at: Date())
                Issue.record("the last admin key was revoked")
            } catch let error as MissiveError {
                #expect(error.code == .conflict)
            }
            let (admin, _) = try await store.mintAPIKey(organisation: org, mode: .test, name: nil, roles: .admin)
            try await store.revokeAPIKey(created.keyID, organisation: org, at: Date())
            #expect(try await store.principal(forSecretHash: BearerSecret.hash(created.apiKey)) == nil)
            let listed = try await store.apiKeys(of: org)
            #expect(listed.map(\.id).contains(admin.id))
            #expect(listed.first { $0.id == created.keyID }?.revokedAt != nil)
            #expect(listed.first { $0.id == created.keyID }?.roles == .all)
        }
    }
}
