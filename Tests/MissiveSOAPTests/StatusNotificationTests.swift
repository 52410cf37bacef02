import Foundation
import MissiveCore
import MissiveSOAP
import Testing

@Suite("SOAP status notifications and fault headers")
struct StatusNotificationTests {
    static let event = StatusEvent(
        id: EventID(unchecked: "evt_01KB0000000000000000000001"), envelopeID: EnvelopeID(unchecked: "env_01KB0000000000000000000001"),
        organisationID: OrganisationID(unchecked: "org_01KB0000000000000000000001"), type: .failed,
        at: Date(timeIntervalSince1970: 1_780_000_000), channel: .physical, reason: Reason(code: "returned", text: "Adressat <unbekannt> & weggezogen")
    )

    @Test("an outbox message becomes a StatusNotification with the event, escaped", arguments: [SOAPVersion.soap11, .soap12])
    func notification(_ version: SOAPVersion) throws {
        let xml = try #require(StatusNotification.envelope(forWebhookBody: WebhookMessage.body(for: Self.event), notificationID: "msg_01KB0000000000000000000001", version: version))
        #expect(xml.contains("xmlns:soap=\"\(version.namespace)\""))
        #expect(xml.contains("<m:notificationId>msg_01KB0000000000000000000001</m:notificationId><m:type>envelope.failed</m:type>"))
        #expect(xml.contains("<m:event><m:id>evt_01KB0000000000000000000001</m:id><m:envelopeId>env_01KB0000000000000000000001</m:envelopeId><m:type>failed</m:type>"))
        #expect(xml.contains("<m:channel>physical</m:channel><m:reason><m:code>returned</m:code><m:text>Adressat &lt;unbekannt&gt; &amp; weggezogen</m:text></m:reason></m:event>"))
        // Well-formed: our own streaming parser reads it to the end.
        var depth = 0
        let parser = XMLPushParser { event in
            if case .start = event { depth += 1 }
        }
        try parser.feed(Array(xml.utf8))
        try parser.finish()
        #expect(depth == 14)
    }

    @Test("a test message has a type and no event; a foreign body is refused")
    func testMessage() throws {
        let xml = try #require(StatusNotification.envelope(forWebhookBody: WebhookMessage.testBody(webhook: WebhookID(unchecked: "whk_01KB0000000000000000000001"), at: Date()), notificationID: "msg_x", version: .soap11))
        #expect(xml.contains("<m:type>webhook.test</m:type></m:StatusNotification>"))
        #expect(!xml.contains("<m:event>"))
        #expect(StatusNotification.envelope(forWebhookBody: Data("not json".utf8), notificationID: "msg_x", version: .soap11) == nil)
    }

    @Test("headers: SOAPAction for 1.1, the action parameter for 1.2")
    func headers() {
        #expect(StatusNotification.headers(version: .soap11).map(\.0) == ["content-type", "soapaction"])
        #expect(StatusNotification.headers(version: .soap12).first?.1.contains("action=\"urn:missive:soap:v1#StatusNotification\"") == true)
    }

    @Test("a VersionMismatch fault carries the Upgrade header; other faults have no header", arguments: [SOAPVersion.soap11, .soap12])
    func upgrade(_ version: SOAPVersion) {
        let mismatch = SOAPWriter(version: version).fault(SOAPFault(.versionMismatch, "wrong version"))
        #expect(mismatch.contains("<soap:Header><upg:Upgrade xmlns:upg=\"http://www.w3.org/2003/05/soap-envelope\">"))
        #expect(mismatch.contains("qname=\"v11:Envelope\" xmlns:v11=\"http://schemas.xmlsoap.org/soap/envelope/\""))
        #expect(!SOAPWriter(version: version).fault(SOAPFault(.client, "bad")).contains("Header"))
    }
}
