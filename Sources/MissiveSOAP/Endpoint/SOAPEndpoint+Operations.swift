import Foundation
import MissiveCore

extension SOAPEndpoint {
    /// Runs the operation and returns the response payload (the Body's content).
    func perform(_ operation: SOAPElement, intake: inout SOAPIntake, organisation: OrganisationID, key: APIKeyID, mode: Mode) async throws -> String {
        switch operation.name.local {
        case "SubmitLetter":
            let documents = try await intake.documents(0..<Self.documentCount(operation))
            return try await submit(operation, documents: documents, organisation: organisation, key: key, mode: mode, element: "SubmitLetterResponse")
        case "SubmitBatch":
            let items = operation.children("item")
            guard !items.isEmpty, items.count <= settings.maxBatchItems else {
                throw SOAPFault(.client, "A batch has 1 to \(settings.maxBatchItems) items.", code: "invalid_request")
            }
            var results = ""
            var next = 0
            // A clientReference twice in one batch is ambiguous: both items are refused.
            var seen: [String: Int] = [:]
            for item in items { if let reference = item.value("clientReference") { seen[reference, default: 0] += 1 } }
            for (index, item) in items.enumerated() {
                let count = Self.documentCount(item)
                let range = next..<(next + count)
                next += count
                do {
                    let documents = try await intake.documents(range)
                    if let reference = item.value("clientReference"), seen[reference, default: 0] > 1 {
                        throw SOAPFault(.client, "clientReference appears more than once in this batch.", code: "invalid_request")
                    }
                    let payload = try await submit(item, documents: documents, organisation: organisation, key: key, mode: mode, element: nil)
                    results += "<m:result>\(SOAPWriter.element("index", String(index)))\(payload)</m:result>"
                } catch {
                    let fault = (error as? SOAPFault) ?? (error as? MissiveError).map(SOAPFault.init) ?? SOAPFault(.server, "The item could not be stored.")
                    results += "<m:result>\(SOAPWriter.element("index", String(index)))<m:error>\(SOAPWriter.element("code", fault.code))\(SOAPWriter.element("text", fault.text))</m:error></m:result>"
                }
            }
            return "<m:SubmitBatchResponse>\(results)</m:SubmitBatchResponse>"
        case "GetStatus":
            let envelope = try await postOffice.envelope(try Self.envelopeID(operation), organisation: organisation)
            return "<m:GetStatusResponse>\(SOAPMapping.statusInfo(envelope))</m:GetStatusResponse>"
        case "CancelEnvelope":
            let envelope = try await postOffice.cancel(try Self.envelopeID(operation), organisation: organisation)
            return "<m:CancelEnvelopeResponse>\(SOAPMapping.statusInfo(envelope))</m:CancelEnvelopeResponse>"
        case "GetEvents":
            return try await events(operation, organisation: organisation)
        case "GetEvidence":
            let evidence = try await postOffice.evidence(of: try Self.envelopeID(operation), organisation: organisation)
            return "<m:GetEvidenceResponse>\(evidence.map(SOAPMapping.evidence).joined())</m:GetEvidenceResponse>"
        case "CheckReachability":
            guard let element = operation.child("recipient") else { throw SOAPFault(.client, "recipient is required.", code: "invalid_request") }
            let kind = try SOAPMapping.enumValue(operation.value("kind"), EnvelopeKind.self, "kind") ?? .letter
            let answer = try await postOffice.reachability(of: SOAPMapping.recipient(element), kind: kind, organisation: organisation)
            return "<m:CheckReachabilityResponse>\(SOAPMapping.reachability(answer))</m:CheckReachabilityResponse>"
        case "CheckReachabilityBatch":
            return try await reachabilityBatch(operation, organisation: organisation)
        case "SetStatusCallback":
            return try await setStatusCallback(operation, organisation: organisation)
        case "RemoveStatusCallback":
            var removed = false
            for subscription in try await postOffice.ports.webhooks.subscriptions(of: organisation) where subscription.format != .standardWebhooks {
                removed = try await postOffice.ports.webhooks.deleteSubscription(subscription.id, organisation: organisation) || removed
            }
            return "<m:RemoveStatusCallbackResponse>\(SOAPWriter.element("removed", removed ? "true" : "false"))</m:RemoveStatusCallbackResponse>"
        default:
            throw SOAPFault(.client, "Unknown operation \(operation.name.local.prefix(64)); see the WSDL at /soap?wsdl.", code: "invalid_request")
        }
    }

    /// The roles each operation needs (the same as the REST equivalents').
    static func authorise(_ operation: String, _ roles: Roles) throws(SOAPFault) {
        let needed: Roles = switch operation {
        case "SubmitLetter", "SubmitBatch", "CancelEnvelope": .sender
        case "GetStatus", "GetEvents", "CheckReachability", "CheckReachabilityBatch": Roles.readers
        case "GetEvidence": Roles.evidenceReaders
        case "SetStatusCallback", "RemoveStatusCallback": .admin
        default: Roles.all
        }
        guard !roles.isDisjoint(with: needed) else {
            throw SOAPFault(.client, "This key's roles (\(roles.names.joined(separator: ", "))) do not allow \(operation.prefix(64)); it needs \(needed.names.joined(separator: " or ")).", code: "forbidden")
        }
    }

    /// How many documents (main + attachments) an item carries, in body order.
    static func documentCount(_ item: SOAPElement) -> Int {
        item.children("document").count + item.children("attachment").count
    }

    static func envelopeID(_ operation: SOAPElement) throws(SOAPFault) -> EnvelopeID {
        guard let raw = operation.value("envelopeId") else { throw SOAPFault(.client, "envelopeId is required.", code: "invalid_request") }
        guard let id = EnvelopeID(rawValue: raw) else { throw SOAPFault(.client, "No such envelope.", code: "not_found") }
        return id
    }

    private func submit(_ item: SOAPElement, documents: [DocumentRef], organisation: OrganisationID, key: APIKeyID, mode: Mode, element: String?) async throws -> String {
        guard item.children("document").count == 1 else { throw SOAPFault(.client, "Send exactly one document.", code: "invalid_request") }
        guard item.children("attachment").count <= settings.maxAttachments else {
            throw SOAPFault(.client, "At most \(settings.maxAttachments) attachments.", code: "invalid_request")
        }
        let draft = try SOAPMapping.draft(item, documents: documents)
        let result = try await postOffice.submit(draft, organisation: organisation, principal: key.rawValue, mode: mode)
        let (envelope, replayed): (Envelope, Bool) = switch result {
        case .accepted(let envelope): (envelope, false)
        case .replayed(let envelope, _): (envelope, true)
        }
        let fields = SOAPWriter.element("envelopeId", envelope.id.rawValue) + SOAPWriter.element("status", replayed ? envelope.status.rawValue : EnvelopeStatus.accepted.rawValue) + SOAPWriter.element("replayed", replayed ? "true" : "false")
        guard let element else { return fields }
        return "<m:\(element)>\(fields)</m:\(element)>"
    }

    private func reachabilityBatch(_ operation: SOAPElement, organisation: OrganisationID) async throws -> String {
        let items = operation.children("item")
        guard (1...Self.maxReachabilityItems).contains(items.count) else {
            throw SOAPFault(.client, "A reachability batch has 1 to \(Self.maxReachabilityItems) items.", code: "invalid_request")
        }
        let kind = try SOAPMapping.enumValue(operation.value("kind"), EnvelopeKind.self, "kind") ?? .letter
        var recipients: [Recipient] = []
        recipients.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            if let reference = item.value("reference"), reference.unicodeScalars.count > 100 || reference.hasControlCharacters {
                throw SOAPFault(.client, "item \(index): reference is at most 100 characters without control characters.", code: "invalid_field")
            }
            guard let recipient = item.child("recipient") else {
                throw SOAPFault(.client, "item \(index): recipient is required.", code: "invalid_request")
            }
            recipients.append(SOAPMapping.recipient(recipient))
        }
        let answers = try await postOffice.reachability(of: recipients, kind: kind, organisation: organisation)
        var results = ""
        for (index, (item, answer)) in zip(items, answers).enumerated() {
            results += "<m:result>\(SOAPWriter.element("index", String(index)))\(item.value("reference").map { SOAPWriter.element("reference", $0) } ?? "")\(SOAPMapping.reachability(answer))</m:result>"
        }
        return "<m:CheckReachabilityBatchResponse>\(results)</m:CheckReachabilityBatchResponse>"
    }

    /// The most recipients one `CheckReachabilityBatch` checks.
    static let maxReachabilityItems = 1000

    private func events(_ operation: SOAPElement, organisation: OrganisationID) async throws -> String {
        let limit = try SOAPMapping.integer(operation.value("limit"), "limit") ?? 50
        guard (1...200).contains(limit) else { throw SOAPFault(.client, "limit must be 1 to 200.", code: "invalid_request") }
        let events: [StatusEvent]
        if operation.child("envelopeId") != nil {
            let id = try Self.envelopeID(operation)
            _ = try await postOffice.envelope(id, organisation: organisation)
            events = try await postOffice.ports.envelopes.events(of: id, organisation: organisation)
        } else {
            let after = try operation.value("after").map { raw throws(SOAPFault) -> EventID in
                guard let id = EventID(rawValue: raw) else { throw SOAPFault(.client, "Unknown cursor.", code: "invalid_request") }
                return id
            }
            do {
                events = try await postOffice.ports.envelopes.feed(of: organisation, after: after, type: nil, limit: limit)
            } catch let error as MissiveError where error.code == .invalidField {
                throw SOAPFault(.client, "Unknown cursor.", code: "invalid_request")
            }
        }
        let cursor = events.last?.id.rawValue ?? operation.value("after")
        return "<m:GetEventsResponse>\(events.map(SOAPMapping.event).joined())\(SOAPWriter.element("nextCursor", cursor))</m:GetEventsResponse>"
    }

    /// Sets the organisation's one SOAP status callback (replacing an earlier one, whose
    /// pending messages are abandoned) and returns its id and signing secret (shown once).
    private func setStatusCallback(_ operation: SOAPElement, organisation: OrganisationID) async throws -> String {
        guard let url = operation.value("url")?.trimmingCharacters(in: .whitespaces) else { throw SOAPFault(.client, "url is required.", code: "invalid_request") }
        do { try WebhookSubscription.checkURL(url, allowPlainHTTP: settings.allowPlainHTTPCallbacks, pointer: "url") } catch {
            throw SOAPFault(error)
        }
        let format: WebhookFormat = switch operation.value("soapVersion") {
        case nil, "1.1": .soap11
        case "1.2": .soap12
        default: throw SOAPFault(.client, "soapVersion is 1.1 or 1.2.", code: "invalid_field")
        }
        let types = try operation.children("eventType").map { element throws(SOAPFault) -> EventType in
            guard let type = EventType(rawValue: element.text.trimmingCharacters(in: .whitespaces)) else {
                throw SOAPFault(.client, "eventType must be one of the envelope statuses.", code: "invalid_field")
            }
            return type
        }
        guard types.count <= 11 else { throw SOAPFault(.client, "At most 11 eventType elements.", code: "invalid_request") }
        let subscription = WebhookSubscription(
            id: .generate(), organisationID: organisation, url: url, description: "SOAP status callback",
            eventTypes: Array(Set(types)).sorted { $0.rawValue < $1.rawValue }, secret: WebhookSubscription.mintSecret(),
            createdAt: postOffice.clock.now(), format: format
        )
        try await postOffice.ports.webhooks.replaceSubscriptions(in: [.soap11, .soap12], with: subscription)
        return "<m:SetStatusCallbackResponse>\(SOAPWriter.element("callbackId", subscription.id.rawValue))\(SOAPWriter.element("signingSecret", subscription.secret))</m:SetStatusCallbackResponse>"
    }
}
