import Foundation
import Logging
import MissiveCore
import OpenAPIRuntime

extension OneAPI {
    public func registerOrganisation(_ input: Operations.RegisterOrganisation.Input) async throws -> Operations.RegisterOrganisation.Output {
        let access = try organisationAccess()
        if let limiter = access.registrations, let wait = limiter.take("registrations") {
            throw RateLimited(retryAfter: Int(wait.rounded(.up)))
        }
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        let profile = Wire.profile(body)
        try profile.validate()
        let id = OrganisationID.generate()
        try await access.store.register(id, profile: profile, at: postOffice.clock.now())
        let keys = try await access.mintKeys(id)
        do {
            _ = try await access.verifier.sendLetter(to: id)
        } catch {
            // The organisation and its keys exist; the letter can be requested again.
            logger.warning("verification letter not posted", metadata: [LogKey.error: "\(PostOffice.describe(error))"])
        }
        return .created(.init(body: .json(.init(organisation: try await wireOrganisation(id, access), testKey: keys.test, liveKey: keys.live))))
    }

    public func getOrganisation(_ input: Operations.GetOrganisation.Input) async throws -> Operations.GetOrganisation.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(Roles.all)
        return .ok(.init(body: .json(try await wireOrganisation(organisation, try organisationAccess()))))
    }

    public func replaceOrganisationProfile(_ input: Operations.ReplaceOrganisationProfile.Input) async throws -> Operations.ReplaceOrganisationProfile.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        let access = try organisationAccess()
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        _ = try await access.verifier.changeProfile(organisation, to: Wire.profile(body))
        return .ok(.init(body: .json(try await wireOrganisation(organisation, access))))
    }

    public func verifyOrganisation(_ input: Operations.VerifyOrganisation.Input) async throws -> Operations.VerifyOrganisation.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        let access = try organisationAccess()
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        try await access.verifier.verify(organisation, code: body.code)
        return .ok(.init(body: .json(try await wireOrganisation(organisation, access))))
    }

    public func requestVerificationLetter(_ input: Operations.RequestVerificationLetter.Input) async throws -> Operations.RequestVerificationLetter.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        let access = try organisationAccess()
        let letter = try await access.verifier.sendLetter(to: organisation)
        return .accepted(.init(body: .json(Wire.letter(letter, maxAttempts: access.verifier.rules.maxAttempts))))
    }

    private func organisationAccess() throws -> OrganisationAccess {
        guard let access = hooks.organisations else { throw MissiveError(.notFound, "Organisations are managed by the operator on this server.") }
        return access
    }

    private func wireOrganisation(_ id: OrganisationID, _ access: OrganisationAccess) async throws -> Components.Schemas.Organisation {
        guard let organisation = try await access.store.organisation(id) else { throw MissiveError(.notFound, "No such organisation.") }
        let letter = organisation.state == .unverified ? try await access.store.openVerificationLetter(of: id) : nil
        return .init(
            id: id.rawValue, legalName: organisation.name, uid: organisation.profile?.uid,
            postalAddress: organisation.profile.map { Wire.postal($0.postal) },
            status: organisation.state == .verified ? .verified : .unverified,
            statusReason: organisation.stateReason.flatMap { .init(rawValue: $0) },
            verificationLetter: letter.map { Wire.letter($0, maxAttempts: access.verifier.rules.maxAttempts) },
            createdAt: organisation.createdAt
        )
    }
}

extension Wire {
    static func profile(_ wire: Components.Schemas.OrganisationProfile) -> OrganisationProfile {
        OrganisationProfile(legalName: wire.legalName, uid: wire.uid, postal: postal(wire.postalAddress))
    }

    static func postal(_ address: PostalAddress) -> Components.Schemas.PostalAddress {
        .init(name: address.name, addressLine2: address.addressLine2, street: address.street, houseNumber: address.houseNumber, postcode: address.postcode, town: address.town, country: address.country)
    }

    static func letter(_ letter: VerificationLetter, maxAttempts: Int) -> Components.Schemas.VerificationLetter {
        .init(id: letter.id.rawValue, sentAt: letter.createdAt, expiresAt: letter.expiresAt, attemptsLeft: max(0, maxAttempts - letter.attempts), envelopeId: letter.envelopeID?.rawValue)
    }
}
