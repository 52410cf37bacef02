import Foundation
import MissiveCore

/// The SOAP status callback: a `StatusNotification` envelope (see `wsdl/missive.wsdl`,
/// `MissiveStatusCallbackPort`) written from the same outbox message a JSON webhook would carry,
/// so both formats share one durable outbox, ordering, retries and signature headers.
public enum StatusNotification {
    /// SOAPAction (1.1) and `action` (1.2) of the callback.
    public static let action = "urn:missive:soap:v1#StatusNotification"

    /// The envelope for an outbox message (its Standard Webhooks JSON body); nil if the body
    /// is not one Missive wrote.
    public static func envelope(forWebhookBody body: Data, notificationID: String, version: SOAPVersion) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let type = object["type"] as? String else { return nil }
        var xml = "<m:StatusNotification>"
        xml += SOAPWriter.element("notificationId", notificationID)
        xml += SOAPWriter.element("type", type)
        if type.hasPrefix("envelope."), let data = object["data"] as? [String: Any] {
            guard let id = data["id"] as? String, let envelopeID = data["envelopeId"] as? String,
                  let status = data["type"] as? String, let at = data["at"] as? String
            else { return nil }
            xml += "<m:event>"
            xml += SOAPWriter.element("id", id)
            xml += SOAPWriter.element("envelopeId", envelopeID)
            xml += SOAPWriter.element("type", status)
            xml += SOAPWriter.element("at", at)
            xml += SOAPWriter.element("channel", data["channel"] as? String)
            if let reason = data["reason"] as? [String: Any], let code = reason["code"] as? String {
                xml += "<m:reason>\(SOAPWriter.element("code", code))\(SOAPWriter.element("text", reason["text"] as? String ?? ""))</m:reason>"
            }
            xml += "</m:event>"
        }
        xml += "</m:StatusNotification>"
        return SOAPWriter(version: version).envelope(body: xml)
    }

    /// The Content-Type (with the 1.2 `action`) and extra headers of the callback request.
    public static func headers(version: SOAPVersion) -> [(String, String)] {
        switch version {
        case .soap11: [("content-type", "text/xml; charset=utf-8"), ("soapaction", "\"\(action)\"")]
        case .soap12: [("content-type", "application/soap+xml; charset=utf-8; action=\"\(action)\"")]
        }
    }
}
