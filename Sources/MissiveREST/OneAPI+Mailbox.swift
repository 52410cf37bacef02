import Foundation
import MissiveCore
import OpenAPIRuntime

extension OneAPI {
    public func listMailboxLetters(_ input: Operations.ListMailboxLetters.Input) async throws -> Operations.ListMailboxLetters.Output {
        let mailbox = try RequestPrincipal.mailbox()
        try Self.check(input.query.cursor, max: 128, "cursor")
        let cursor = try input.query.cursor.map { raw -> LetterID in
            guard let id = LetterID(rawValue: raw) else { throw MissiveError(.invalidRequest, "Unknown cursor.", pointer: "cursor") }
            return id
        }
        let limit = try Self.limit(input.query.limit)
        let letters = try await postOffice.ports.mailboxes.letters(in: mailbox, unreadOnly: input.query.unread ?? false, after: cursor, limit: limit)
        return .ok(.init(body: .json(.init(items: letters.map(Wire.letter), nextCursor: letters.count == limit ? letters.last?.id.rawValue : nil))))
    }

    public func getMailboxLetter(_ input: Operations.GetMailboxLetter.Input) async throws -> Operations.GetMailboxLetter.Output {
        let mailbox = try RequestPrincipal.mailbox()
        guard let letter = try await postOffice.ports.mailboxes.letter(try Wire.id(input.path.letterId, as: LetterID.self), in: mailbox) else {
            throw MissiveError(.notFound, "No such letter.")
        }
        return .ok(.init(body: .json(Wire.letter(letter))))
    }

    public func downloadMailboxLetterDocument(_ input: Operations.DownloadMailboxLetterDocument.Input) async throws -> Operations.DownloadMailboxLetterDocument.Output {
        let mailbox = try RequestPrincipal.mailbox()
        let (_, bytes) = try await postOffice.open(try Wire.id(input.path.letterId, as: LetterID.self), mailbox: mailbox)
        return .ok(.init(body: .pdf(HTTPBody(bytes))))
    }

    public func getMailboxPreference(_ input: Operations.GetMailboxPreference.Input) async throws -> Operations.GetMailboxPreference.Output {
        let mailbox = try RequestPrincipal.mailbox()
        guard let entry = try await postOffice.ports.directory.entry(forMailbox: mailbox) else { throw MissiveError(.notFound, "No such mailbox.") }
        return .ok(.init(body: .json(.init(delivery: .init(rawValue: entry.preference.rawValue)!))))
    }

    public func setMailboxPreference(_ input: Operations.SetMailboxPreference.Input) async throws -> Operations.SetMailboxPreference.Output {
        let mailbox = try RequestPrincipal.mailbox()
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        let preference = DeliveryPreference(rawValue: body.delivery.rawValue) ?? .digital
        try await postOffice.setPreference(preference, mailbox: mailbox)
        return .ok(.init(body: .json(.init(delivery: body.delivery))))
    }

    public func checkReachability(_ input: Operations.CheckReachability.Input) async throws -> Operations.CheckReachability.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(Roles.readers)
        let query = input.query
        for (value, max, name) in [(query.ePostAddress, 254, "ePostAddress"), (query.uid, 20, "uid"), (query.eBillId, 32, "eBillId"), (query.name, 100, "name"), (query.street, 100, "street"), (query.houseNumber, 20, "houseNumber"), (query.postcode, 16, "postcode"), (query.town, 100, "town"), (query.country, 2, "country")] {
            try Self.check(value, max: max, name)
        }
        // Parameters that break their own schema are bad requests; a recipient that is
        // merely uncheckable is answered below.
        if let value = query.ePostAddress, !Recipient.isPlausibleMailboxAddress(value) { throw MissiveError(.invalidRequest, "ePostAddress is not a mailbox address.", pointer: "ePostAddress") }
        if let value = query.uid, !Recipient.isUID(value) { throw MissiveError(.invalidRequest, "uid must look like CHE-123.456.789.", pointer: "uid") }
        if let value = query.eBillId, !(value.utf8.count == 17 && value.utf8.allSatisfy { (48...57).contains($0) }) { throw MissiveError(.invalidRequest, "eBillId must be 17 digits.", pointer: "eBillId") }
        if let value = query.country, !(value.utf8.count == 2 && value.utf8.allSatisfy { (65...90).contains($0) }) { throw MissiveError(.invalidRequest, "country must be two capital letters.", pointer: "country") }
        var postal: PostalAddress?
        if let name = query.name, let street = query.street, let postcode = query.postcode, let town = query.town {
            postal = PostalAddress(name: name, street: street, houseNumber: query.houseNumber, postcode: postcode, town: town, country: query.country ?? "CH")
        }
        let partialAddress = postal == nil && [query.name, query.street, query.postcode, query.town, query.houseNumber].contains { $0 != nil }
        let recipient = Recipient(ePostAddress: query.ePostAddress, uid: query.uid, eBillID: query.eBillId, postal: postal)
        let kind = query.kind.flatMap { EnvelopeKind(rawValue: $0.rawValue) } ?? .letter
        var answer: Reachability
        do {
            answer = try await postOffice.reachability(of: recipient, kind: kind, organisation: organisation)
        } catch let error as MissiveError where error.code == .invalidField {
            // A check, not a submission: an uncheckable recipient is simply not reachable.
            answer = .invalid(error.reason)
        }
        if answer.channel == nil, partialAddress {
            answer = .invalid("A postal address needs name, street, postcode and town.")
        }
        return .ok(.init(body: .json(Wire.reachability(answer))))
    }

    public func checkReachabilityBatch(_ input: Operations.CheckReachabilityBatch.Input) async throws -> Operations.CheckReachabilityBatch.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(Roles.readers)
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        guard (1...Self.maxReachabilityItems).contains(body.items.count) else {
            throw MissiveError(.invalidRequest, "items has 1 to \(Self.maxReachabilityItems) entries.", pointer: "/items")
        }
        for (index, item) in body.items.enumerated() {
            if let reference = item.reference, reference.unicodeScalars.count > 100 || reference.hasControlCharacters {
                throw MissiveError(.invalidField, "reference is at most 100 characters without control characters.", pointer: "/items/\(index)/reference")
            }
        }
        // The JSON schema says everything a recipient must be (down to the Swiss postcode): a
        // line that breaks it is the client's bug, refused with its pointer.
        let recipients = body.items.map { Wire.recipient($0.recipient) }
        for (index, recipient) in recipients.enumerated() {
            do throws(MissiveError) {
                try recipient.validate()
            } catch {
                throw MissiveError(.invalidField, error.reason, pointer: "/items/\(index)" + (error.pointer ?? "/recipient"))
            }
        }
        let kind = body.kind.flatMap { EnvelopeKind(rawValue: $0.rawValue) } ?? .letter
        let answers = try await postOffice.reachability(of: recipients, kind: kind, organisation: organisation)
        let items = zip(body.items, answers).enumerated().map { index, pair in
            let wire = Wire.reachability(pair.1)
            return Components.Schemas.ReachabilityBatchAnswer(
                index: index, reference: pair.0.reference, reachable: wire.reachable, channel: .init(rawValue: wire.channel.rawValue)!,
                reason: wire.reason, digital: wire.digital, directoryReason: wire.directoryReason
            )
        }
        return .ok(.init(body: .json(.init(items: items))))
    }

    /// The most recipients one reachability batch checks.
    static let maxReachabilityItems = 1000
}
