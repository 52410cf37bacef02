import Foundation
import MissiveCore

extension OneAPI {
    public func createWebhook(_ input: Operations.CreateWebhook.Input) async throws -> Operations.CreateWebhook.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        try WebhookSubscription.checkURL(body.url, allowPlainHTTP: settings.allowPlainHTTPWebhooks)
        if let types = body.eventTypes, types.count > 12 {
            throw MissiveError(.invalidRequest, "eventTypes has at most 12 entries.", pointer: "/eventTypes")
        }
        let requested = body.eventTypes ?? []
        let inboxTypes = Array(Set(requested.compactMap { InboxEventType(rawValue: $0.rawValue) })).sorted { $0.rawValue < $1.rawValue }
        let format = body.format.flatMap { WebhookFormat(rawValue: $0.rawValue) } ?? .standardWebhooks
        if !inboxTypes.isEmpty, format != .standardWebhooks {
            throw MissiveError(.invalidField, "letter.received is sent in the standard-webhooks format only.", pointer: "/eventTypes")
        }
        if let description = body.description, description.unicodeScalars.count > 200 {
            throw MissiveError(.invalidField, "description is longer than 200 characters.", pointer: "/description")
        }
        let subscription = WebhookSubscription(
            id: .generate(), organisationID: organisation, url: body.url, description: body.description,
            eventTypes: Array(Set(requested.compactMap { EventType(rawValue: $0.rawValue) })).sorted { $0.rawValue < $1.rawValue },
            secret: WebhookSubscription.mintSecret(), createdAt: postOffice.clock.now(), format: format, inboxEventTypes: inboxTypes
        )
        try await postOffice.ports.webhooks.createSubscription(subscription)
        return .created(.init(body: .json(Wire.webhook(subscription, includeSecret: true))))
    }

    public func listWebhooks(_ input: Operations.ListWebhooks.Input) async throws -> Operations.ListWebhooks.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        let items = try await postOffice.ports.webhooks.subscriptions(of: organisation)
        return .ok(.init(body: .json(.init(items: items.map { Wire.webhook($0, includeSecret: false) }))))
    }

    public func getWebhook(_ input: Operations.GetWebhook.Input) async throws -> Operations.GetWebhook.Output {
        .ok(.init(body: .json(Wire.webhook(try await subscription(input.path.webhookId), includeSecret: false))))
    }

    public func deleteWebhook(_ input: Operations.DeleteWebhook.Input) async throws -> Operations.DeleteWebhook.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        guard try await postOffice.ports.webhooks.deleteSubscription(try Wire.id(input.path.webhookId, as: WebhookID.self), organisation: organisation) else {
            throw MissiveError(.notFound, "No such webhook.")
        }
        return .noContent(.init())
    }

    public func sendTestWebhook(_ input: Operations.SendTestWebhook.Input) async throws -> Operations.SendTestWebhook.Output {
        let subscription = try await subscription(input.path.webhookId)
        let now = postOffice.clock.now()
        let delivery = WebhookDelivery(
            id: .generate(at: now), webhookID: subscription.id, organisationID: subscription.organisationID, eventID: nil,
            eventType: "webhook.test", payload: WebhookMessage.testBody(webhook: subscription.id, at: now), status: .pending,
            attemptCount: 0, nextAttemptAt: now, createdAt: now, attempts: []
        )
        try await postOffice.ports.webhooks.enqueue(delivery)
        postOffice.deliveriesAvailable.signal()
        return .accepted(.init(body: .json(Wire.delivery(delivery))))
    }

    public func listWebhookDeliveries(_ input: Operations.ListWebhookDeliveries.Input) async throws -> Operations.ListWebhookDeliveries.Output {
        let subscription = try await subscription(input.path.webhookId)
        let items = try await postOffice.ports.webhooks.deliveries(of: subscription.id, organisation: subscription.organisationID, limit: try Self.limit(input.query.limit))
        return .ok(.init(body: .json(.init(items: items.map(Wire.delivery)))))
    }

    private func subscription(_ raw: String) async throws -> WebhookSubscription {
        let (organisation, _, _) = try RequestPrincipal.organisation(.admin)
        guard let subscription = try await postOffice.ports.webhooks.subscription(try Wire.id(raw, as: WebhookID.self), organisation: organisation) else {
            throw MissiveError(.notFound, "No such webhook.")
        }
        return subscription
    }
}
