import Foundation
import MissiveCore

/// Translation between the oneAPI's wire types (generated from openapi/missive.yaml) and the
/// core's values. Wire → core validates nothing beyond shape; the core validates meaning.
enum Wire {
    static func reachability(_ answer: Reachability) -> Components.Schemas.Reachability {
        .init(
            reachable: answer.channel != nil, channel: answer.channel.map { .init(rawValue: $0.rawValue)! } ?? .none,
            reason: reason(answer.reason), digital: answer.isDigital, directoryReason: answer.directoryReason.map(reason)
        )
    }

    static func recipient(_ wire: Components.Schemas.Recipient) -> Recipient {
        Recipient(ePostAddress: wire.ePostAddress, uid: wire.uid, eBillID: wire.eBillId, postal: wire.postal.map(postal))
    }

    static func postal(_ wire: Components.Schemas.PostalAddress) -> PostalAddress {
        PostalAddress(name: wire.name, addressLine2: wire.addressLine2, street: wire.street, houseNumber: wire.houseNumber, postcode: wire.postcode, town: wire.town, country: wire.country ?? "CH")
    }

    static func draft(_ wire: Components.Schemas.EnvelopeSubmission, documents: [DocumentRef], idempotencyKey: String?) -> EnvelopeDraft {
        let policy = ChannelPolicy(
            mode: wire.policy?.mode.flatMap { ChannelPolicy.Mode(rawValue: $0.rawValue) } ?? .auto,
            printIfNotConsultedAfterDays: wire.policy?.printIfNotConsultedAfterDays,
            notBefore: wire.policy?.notBefore
        )
        let print = PrintOptions(
            mailClass: wire.print?.mailClass.flatMap { PrintOptions.MailClass(rawValue: $0.rawValue) } ?? .b,
            color: wire.print?.color ?? false, duplex: wire.print?.duplex ?? true,
            addressPlacement: wire.print?.addressPlacement.flatMap { PrintOptions.AddressPlacement(rawValue: $0.rawValue) } ?? .left
        )
        let invoice = wire.invoice.map { InvoiceDetails(amount: $0.amount, currency: $0.currency.rawValue, reference: $0.reference, iban: $0.iban, dueDate: $0.dueDate) }
        let kind = wire.kind.flatMap { EnvelopeKind(rawValue: $0.rawValue) } ?? (invoice != nil ? .invoice : .letter)
        return EnvelopeDraft(ingress: .rest, ingressReference: idempotencyKey, kind: kind, title: wire.title, reference: wire.reference, recipient: recipient(wire.recipient), documents: documents, policy: policy, print: print, invoice: invoice)
    }

    static func envelope(_ envelope: Envelope) -> Components.Schemas.Envelope {
        Components.Schemas.Envelope(
            id: envelope.id.rawValue,
            status: .init(rawValue: envelope.status.rawValue)!,
            statusReason: envelope.statusReason.map(reason),
            kind: .init(rawValue: envelope.kind.rawValue)!,
            mode: .init(rawValue: envelope.mode.rawValue)!,
            ingress: .init(rawValue: envelope.ingress.rawValue)!,
            ingressReference: envelope.ingressReference,
            title: envelope.title,
            reference: envelope.reference,
            channel: envelope.channel.map { .init(rawValue: $0.rawValue)! },
            recipient: recipient(envelope.recipient),
            policy: .init(mode: .init(rawValue: envelope.policy.mode.rawValue), printIfNotConsultedAfterDays: envelope.policy.printIfNotConsultedAfterDays, notBefore: envelope.policy.notBefore),
            print: .init(mailClass: .init(rawValue: envelope.print.mailClass.rawValue), color: envelope.print.color, duplex: envelope.print.duplex, addressPlacement: .init(rawValue: envelope.print.addressPlacement.rawValue)),
            invoice: envelope.invoice.map { .init(amount: $0.amount, currency: .init(rawValue: $0.currency) ?? .chf, reference: $0.reference, iban: $0.iban, dueDate: $0.dueDate) },
            documents: envelope.documents.map(document),
            createdAt: envelope.createdAt,
            updatedAt: envelope.updatedAt
        )
    }

    static func recipient(_ recipient: Recipient) -> Components.Schemas.Recipient {
        Components.Schemas.Recipient(
            ePostAddress: recipient.ePostAddress, uid: recipient.uid, eBillId: recipient.eBillID,
            postal: recipient.postal.map(postal)
        )
    }

    static func document(_ document: DocumentRef) -> Components.Schemas.DocumentInfo {
        .init(role: document.role == .main ? .main : .attachment, filename: document.filename, mediaType: document.mediaType, byteSize: document.byteSize, sha256: document.sha256, pageCount: document.pageCount)
    }

    static func reason(_ reason: Reason) -> Components.Schemas.Reason {
        .init(code: reason.code, text: reason.text)
    }

    static func event(_ event: StatusEvent) -> Components.Schemas.Event {
        .init(
            id: event.id.rawValue, envelopeId: event.envelopeID.rawValue, _type: .init(rawValue: event.type.rawValue)!,
            at: event.at, channel: event.channel.map { .init(rawValue: $0.rawValue)! }, reason: event.reason.map(reason),
            detail: event.detail.isEmpty ? nil : .init(additionalProperties: event.detail)
        )
    }

    static func webhook(_ subscription: WebhookSubscription, includeSecret: Bool) -> Components.Schemas.Webhook {
        .init(id: subscription.id.rawValue, url: subscription.url, description: subscription.description, eventTypes: subscription.eventTypes.map { .init(rawValue: $0.rawValue)! } + subscription.inboxEventTypes.map { .init(rawValue: $0.rawValue)! }, createdAt: subscription.createdAt, secret: includeSecret ? subscription.secret : nil, format: .init(rawValue: subscription.format.rawValue)!)
    }

    static func delivery(_ delivery: WebhookDelivery) -> Components.Schemas.WebhookDelivery {
        .init(
            id: delivery.id.rawValue, webhookId: delivery.webhookID.rawValue, eventId: delivery.eventID?.rawValue,
            eventType: delivery.eventType, status: .init(rawValue: delivery.status.rawValue)!, attemptCount: delivery.attemptCount,
            nextAttemptAt: delivery.status == .pending ? delivery.nextAttemptAt : nil, createdAt: delivery.createdAt,
            attempts: delivery.attempts.map { .init(at: $0.at, statusCode: $0.statusCode, error: $0.error, durationMs: $0.durationMs) }
        )
    }

    static func letter(_ letter: MailboxLetter) -> Components.Schemas.MailboxLetter {
        .init(id: letter.id.rawValue, senderName: letter.senderName, senderOrganisationId: letter.organisationID.rawValue, kind: .init(rawValue: letter.kind.rawValue)!, title: letter.title, deliveredAt: letter.deliveredAt, consultedAt: letter.consultedAt, document: document(letter.document), attachmentCount: letter.attachmentCount)
    }

    /// Parses an identifier from a path or cursor; malformed ids are simply not found.
    static func id<ID: PrefixedIdentifier>(_ raw: String, as type: ID.Type) throws -> ID {
        guard let id = ID(rawValue: raw) else { throw MissiveError(.notFound, "No such resource.") }
        return id
    }
}
