import Foundation
import MissiveCore

/// The pure mapping between SOAP operation elements and the core's values. Field names are
/// those of the oneAPI, so a `recipient` from sandbox.json reads the same in both.
public enum SOAPMapping {
    /// The envelope fields of a `SubmitLetter` (or batch item) element.
    public static func draft(_ operation: SOAPElement, documents: [DocumentRef]) throws(SOAPFault) -> EnvelopeDraft {
        guard let envelope = operation.child("envelope") else {
            throw SOAPFault(.client, "envelope is required.", code: "invalid_request")
        }
        guard let recipientElement = envelope.child("recipient") else {
            throw SOAPFault(.client, "envelope/recipient is required.", code: "invalid_request")
        }
        let reference = operation.value("clientReference")
        if let reference, reference.isEmpty || reference.utf8.count > 255 {
            throw SOAPFault(.client, "clientReference must be 1 to 255 characters.", code: "invalid_request")
        }
        let policyElement = envelope.child("policy")
        let policy = ChannelPolicy(
            mode: try enumValue(policyElement?.value("mode"), ChannelPolicy.Mode.self, "policy/mode") ?? .auto,
            printIfNotConsultedAfterDays: try integer(policyElement?.value("printIfNotConsultedAfterDays"), "policy/printIfNotConsultedAfterDays"),
            notBefore: try date(policyElement?.value("notBefore"), "policy/notBefore")
        )
        let printElement = envelope.child("print")
        let print = PrintOptions(
            mailClass: try enumValue(printElement?.value("mailClass"), PrintOptions.MailClass.self, "print/mailClass") ?? .b,
            color: try boolean(printElement?.value("color"), "print/color") ?? false,
            duplex: try boolean(printElement?.value("duplex"), "print/duplex") ?? true,
            addressPlacement: try enumValue(printElement?.value("addressPlacement"), PrintOptions.AddressPlacement.self, "print/addressPlacement") ?? .left
        )
        var invoice: InvoiceDetails?
        if let element = envelope.child("invoice") {
            guard let amount = element.value("amount"), let currency = element.value("currency") else {
                throw SOAPFault(.client, "invoice needs amount and currency.", code: "invalid_field")
            }
            invoice = InvoiceDetails(amount: amount, currency: currency, reference: element.value("reference"), iban: element.value("iban"), dueDate: element.value("dueDate"))
        }
        let kind = try enumValue(envelope.value("kind"), EnvelopeKind.self, "kind") ?? (invoice != nil ? .invoice : .letter)
        return EnvelopeDraft(
            ingress: .soap, ingressReference: reference, kind: kind, title: envelope.value("title"), reference: envelope.value("reference"),
            recipient: recipient(recipientElement), documents: documents, policy: policy, print: print, invoice: invoice
        )
    }

    /// A `Recipient` element.
    public static func recipient(_ element: SOAPElement) -> Recipient {
        var postal: PostalAddress?
        if let address = element.child("postal") {
            postal = PostalAddress(
                name: address.value("name") ?? "", addressLine2: address.value("addressLine2"), street: address.value("street") ?? "",
                houseNumber: address.value("houseNumber"), postcode: address.value("postcode") ?? "", town: address.value("town") ?? "",
                country: address.value("country") ?? "CH"
            )
        }
        return Recipient(ePostAddress: element.value("ePostAddress"), uid: element.value("uid"), eBillID: element.value("eBillId"), postal: postal)
    }

    /// The fields of a reachability answer: reachable, channel, reason, digital, directoryReason.
    static func reachability(_ answer: Reachability) -> String {
        var fields = SOAPWriter.element("reachable", answer.channel == nil ? "false" : "true")
            + SOAPWriter.element("channel", answer.channel?.rawValue ?? "none")
            + reason("reason", answer.reason)
            + SOAPWriter.element("digital", answer.isDigital ? "true" : "false")
        if let directoryReason = answer.directoryReason { fields += reason("directoryReason", directoryReason) }
        return fields
    }

    private static func reason(_ name: String, _ reason: Reason) -> String {
        "<m:\(name)>\(SOAPWriter.element("code", reason.code))\(SOAPWriter.element("text", reason.text))</m:\(name)>"
    }

    static func enumValue<T: RawRepresentable>(_ text: String?, _ type: T.Type, _ field: String) throws(SOAPFault) -> T? where T.RawValue == String {
        guard let text else { return nil }
        guard let value = T(rawValue: text) else { throw SOAPFault(.client, "\(field) has an unknown value.", code: "invalid_field") }
        return value
    }

    static func integer(_ text: String?, _ field: String) throws(SOAPFault) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text) else { throw SOAPFault(.client, "\(field) must be an integer.", code: "invalid_field") }
        return value
    }

    static func boolean(_ text: String?, _ field: String) throws(SOAPFault) -> Bool? {
        switch text {
        case nil: return nil
        case "true", "1": return true
        case "false", "0": return false
        default: throw SOAPFault(.client, "\(field) must be true or false.", code: "invalid_field")
        }
    }

    static func date(_ text: String?, _ field: String) throws(SOAPFault) -> Date? {
        guard let text else { return nil }
        if let date = Timestamp.parse(text) { return date }
        throw SOAPFault(.client, "\(field) must be an xs:dateTime with a time zone.", code: "invalid_field")
    }

    /// The `EnvelopeStatusInfo` of an envelope.
    public static func statusInfo(_ envelope: Envelope, element: String = "envelope") -> String {
        var xml = "<m:\(element)>"
        xml += SOAPWriter.element("id", envelope.id.rawValue)
        xml += SOAPWriter.element("status", envelope.status.rawValue)
        if let reason = envelope.statusReason { xml += "<m:statusReason>\(SOAPWriter.element("code", reason.code))\(SOAPWriter.element("text", reason.text))</m:statusReason>" }
        xml += SOAPWriter.element("channel", envelope.channel?.rawValue)
        xml += SOAPWriter.element("kind", envelope.kind.rawValue)
        xml += SOAPWriter.element("reference", envelope.reference)
        xml += SOAPWriter.element("createdAt", Timestamp.string(envelope.createdAt))
        xml += SOAPWriter.element("updatedAt", Timestamp.string(envelope.updatedAt))
        return xml + "</m:\(element)>"
    }

    /// An `Event` element.
    public static func event(_ event: StatusEvent) -> String {
        var xml = "<m:event>"
        xml += SOAPWriter.element("id", event.id.rawValue)
        xml += SOAPWriter.element("envelopeId", event.envelopeID.rawValue)
        xml += SOAPWriter.element("type", event.type.rawValue)
        xml += SOAPWriter.element("at", Timestamp.string(event.at))
        xml += SOAPWriter.element("channel", event.channel?.rawValue)
        if let reason = event.reason { xml += "<m:reason>\(SOAPWriter.element("code", reason.code))\(SOAPWriter.element("text", reason.text))</m:reason>" }
        return xml + "</m:event>"
    }

    /// An `Evidence` element: the record and its seals as base64 bytes.
    public static func evidence(_ evidence: StoredEvidence) -> String {
        let record = evidence.record
        var xml = "<m:evidence>"
        xml += SOAPWriter.element("evidenceId", record.evidenceId.rawValue)
        xml += SOAPWriter.element("event", record.event.rawValue)
        xml += SOAPWriter.element("eventId", record.eventId.rawValue)
        xml += SOAPWriter.element("eventTime", Timestamp.string(record.eventTime))
        xml += SOAPWriter.element("sealedAt", Timestamp.string(evidence.sealedAt))
        xml += SOAPWriter.element("record", evidence.canonical.base64EncodedString())
        xml += SOAPWriter.element("seal", evidence.seal.base64EncodedString())
        for (index, seal) in evidence.documentSeals.enumerated() where record.documents.indices.contains(index) {
            xml += "<m:documentSeal>\(SOAPWriter.element("index", String(index)))\(SOAPWriter.element("sha256", record.documents[index].sha256))\(SOAPWriter.element("seal", seal.base64EncodedString()))</m:documentSeal>"
        }
        return xml + "</m:evidence>"
    }
}
