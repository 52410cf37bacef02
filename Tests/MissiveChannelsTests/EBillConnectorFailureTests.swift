import AsyncHTTPClient
import Foundation
@testable import MissiveChannels
import MissiveCore
import Testing

@Suite("eBill connector against a scripted network")
struct EBillConnectorFailureTests {
    let blobs = InMemoryBlobStore()

    func envelope() -> Envelope {
        Fixture.envelope(kind: .invoice, recipient: Recipient(eBillID: "41010560425610173"), documents: [blobs.put("%PDF-1.7 bill", key: "bill")], invoice: InvoiceDetails(amount: "99.95", currency: "CHF"))
    }

    func deliver(to stub: StubNetwork, timeout: Duration = .seconds(10), token: String? = nil) async throws -> DeliveryOutcome {
        try await withRunningServices([stub]) {
            let configuration = EBillConnector.Configuration(baseURL: try await stub.baseURL(), bearerToken: token, timeout: timeout)
            return try await EBillConnector(configuration: configuration, httpClient: .shared, blobs: blobs).deliver(envelope(), entry: nil)
        }
    }

    @Test("5xx and 429 throw channelUnavailable, to be retried", arguments: [500, 502, 503, 429, 408])
    func transient(status: Int) async throws {
        let error = await #expect(throws: MissiveError.self) {
            try await deliver(to: StubNetwork(status: status, answer: #"{"error":"busy"}"#))
        }
        #expect(error?.code == .channelUnavailable)
    }

    @Test("a slow network times out as channelUnavailable")
    func timeout() async throws {
        let stub = StubNetwork(status: 201, answer: #"{"status":"accepted","networkReference":"EB-1"}"#, delay: .milliseconds(1500))
        try await withRunningServices([stub]) {
            let configuration = EBillConnector.Configuration(baseURL: try await stub.baseURL(), timeout: .milliseconds(300))
            let connector = EBillConnector(configuration: configuration, httpClient: .shared, blobs: blobs)
            // The network would accept after 1.5 s: an error at all proves the 300 ms timeout cut it short.
            let error = await #expect(throws: MissiveError.self) {
                try await connector.deliver(envelope(), entry: nil)
            }
            #expect(error?.code == .channelUnavailable)
            #expect(stub.lastRequest != nil)
        }
    }

    @Test("any 4xx without a readable reason is refused as ebill_rejected")
    func bare4xx() async throws {
        let outcome = try await deliver(to: StubNetwork(status: 404, answer: "<html>not found</html>"))
        #expect(outcome == .refused(Reason(code: "ebill_rejected", text: "The eBill network rejected the bill (HTTP 404).")))
    }

    @Test("a 409 with the network's reason is refused with that reason")
    func conflict() async throws {
        let outcome = try await deliver(to: StubNetwork(status: 409, answer: #"{"status":"rejected","reason":{"code":"duplicate_bill","text":"Already filed."}}"#))
        #expect(outcome == .refused(Reason(code: "duplicate_bill", text: "Already filed.")))
    }

    @Test("a 2xx without a network reference is not taken as delivered")
    func acceptedWithoutReference() async throws {
        let error = await #expect(throws: MissiveError.self) {
            try await deliver(to: StubNetwork(status: 200, answer: #"{"status":"accepted"}"#))
        }
        #expect(error?.code == .channelUnavailable)
    }

    @Test("sends the documented headers and JSON body")
    func wireFormat() async throws {
        let stub = StubNetwork(status: 202, answer: #"{"status":"accepted","networkReference":"EB-XYZ"}"#)
        let outcome = try await deliver(to: stub, token: "s3cret")
        #expect(outcome == .delivered(detail: ["networkReference": "EB-XYZ"]))
        let seen = try #require(stub.lastRequest)
        #expect(seen.headers["content-type"] == "application/json")
        #expect(seen.headers["authorization"] == "Bearer s3cret")
        let json = try #require(try JSONSerialization.jsonObject(with: seen.body) as? [String: Any])
        #expect(seen.headers["idempotency-key"] == json["billId"] as? String)
        #expect((json["billId"] as? String)?.hasPrefix("env_") == true)
        #expect(json["billerId"] as? String == Fixture.organisation.rawValue)
        #expect(json["recipientId"] as? String == "41010560425610173")
        #expect(json["amount"] as? String == "99.95")
        #expect(json["title"] as? String == "Invoice 42")
        let document = try #require(json["document"] as? [String: Any])
        #expect(document["mediaType"] as? String == "application/pdf")
        #expect(document["byteSize"] as? Int == 13)
        let base64 = try #require(document["content"] as? String)
        let content = try #require(Data(base64Encoded: base64))
        #expect(String(decoding: content, as: UTF8.self) == "%PDF-1.7 bill")
    }
}
