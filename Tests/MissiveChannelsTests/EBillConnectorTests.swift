import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import MissiveChannels
import MissiveCore
import NIOCore
import NIOHTTP1
import Testing

@Suite("eBill connector against the sandbox network")
struct EBillConnectorTests {
    let blobs = InMemoryBlobStore()
    let invoice = InvoiceDetails(amount: "120.50", currency: "CHF", reference: "210000000003139471430009017", iban: "CH4431999123000889012", dueDate: "2026-01-31")

    func envelope(eBillID: String?) -> Envelope {
        Fixture.envelope(kind: .invoice, recipient: Recipient(eBillID: eBillID), documents: [blobs.put("%PDF-1.7 bill", key: "bill")], invoice: invoice)
    }

    func connector(_ url: URL, timeout: Duration = .seconds(30), token: String? = nil) -> EBillConnector {
        EBillConnector(configuration: .init(baseURL: url, bearerToken: token, timeout: timeout), httpClient: .shared, blobs: blobs)
    }

    @Test("an accepted bill is delivered with the network's reference")
    func accepted() async throws {
        let network = SandboxEBillNetwork()
        try await withRunningServices([network]) {
            let envelope = envelope(eBillID: "41010560425610173")
            let outcome = try await connector(try await network.baseURL()).deliver(envelope, entry: nil)
            guard case .delivered(let detail) = outcome, let reference = detail["networkReference"] else {
                Issue.record("expected delivered, got \(outcome)")
                return
            }
            #expect(reference.hasPrefix("EB-") && reference.count == 19)
            #expect(network.acceptedBillCount == 1)
            let bill = try #require(network.ledger.acceptedBill(reference))
            #expect(bill.billId == envelope.id.rawValue)
            #expect(bill.billerId == Fixture.organisation.rawValue)
            #expect(bill.recipientId == "41010560425610173")
            #expect(bill.amount == "120.50" && bill.currency == "CHF" && bill.dueDate == "2026-01-31")
            #expect(bill.document.sha256 == BearerSecret.hash("%PDF-1.7 bill"))
        }
    }

    @Test("a repeated dispatch gets the same reference and files the bill once")
    func idempotent() async throws {
        let network = SandboxEBillNetwork()
        try await withRunningServices([network]) {
            let channel = connector(try await network.baseURL())
            let envelope = envelope(eBillID: "41010560425610173")
            let first = try await channel.deliver(envelope, entry: nil)
            let second = try await channel.deliver(envelope, entry: nil)
            #expect(first == second)
            #expect(network.acceptedBillCount == 1)
        }
    }

    @Test("an unknown recipient (id ending 99) is refused with the network's reason")
    func rejected() async throws {
        let network = SandboxEBillNetwork()
        try await withRunningServices([network]) {
            let outcome = try await connector(try await network.baseURL()).deliver(envelope(eBillID: "41010560425610199"), entry: nil)
            guard case .refused(let reason) = outcome else {
                Issue.record("expected refused, got \(outcome)")
                return
            }
            #expect(reason.code == "recipient_unknown")
            #expect(!reason.text.isEmpty)
            #expect(network.acceptedBillCount == 0)
        }
    }

    @Test("the eBill id comes from the directory when the envelope has none")
    func eBillIDFromDirectory() async throws {
        let network = SandboxEBillNetwork()
        try await withRunningServices([network]) {
            let entry = DirectoryEntry(kind: .private, postal: Fixture.address, eBillID: "41010560425610173")
            var envelope = envelope(eBillID: nil)
            envelope.recipient = Recipient(postal: Fixture.address)
            let outcome = try await connector(try await network.baseURL()).deliver(envelope, entry: entry)
            #expect(outcome.isDelivered)
            let refused = try await connector(try await network.baseURL()).deliver(envelope, entry: nil)
            #expect(refused == .refused(Reason(code: "no_ebill_id", text: "The recipient is not registered for eBill.")))
            #expect(network.acceptedBillCount == 1)
        }
    }

    @Test("a network that is down throws channelUnavailable")
    func networkDown() async throws {
        // A port bound but never listening refuses every connection, and no other test's
        // server can take it meanwhile (a stopped server's port could be reused at once).
        let down = try RefusingPort()
        let error = await #expect(throws: MissiveError.self) {
            try await connector(URL(string: "http://127.0.0.1:\(down.port)")!, timeout: .seconds(1)).deliver(envelope(eBillID: "41010560425610173"), entry: nil)
        }
        #expect(error?.code == .channelUnavailable)
        withExtendedLifetime(down) {}
    }

    @Test("the sandbox connector waits for the network to listen")
    func sandboxNotListening() async throws {
        let network = SandboxEBillNetwork()
        let channel = EBillConnector(sandbox: network, httpClient: .shared, blobs: blobs)
        let error = await #expect(throws: MissiveError.self) {
            try await channel.deliver(envelope(eBillID: "41010560425610173"), entry: nil)
        }
        #expect(error?.code == .channelUnavailable)
        try await withRunningServices([network]) {
            _ = try await network.baseURL()
            #expect(try await channel.deliver(envelope(eBillID: "41010560425610173"), entry: nil).isDelivered)
        }
    }

    @Test("malformed JSON gets 400 from the sandbox")
    func malformed() async throws {
        let network = SandboxEBillNetwork()
        try await withRunningServices([network]) {
            var request = HTTPClientRequest(url: try await network.baseURL().appending(path: "v1/bills").absoluteString)
            request.method = .POST
            request.body = .bytes(Data("{not json".utf8))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 64 * 1024)
            #expect(response.status.code == 400)
            let answer = try JSONDecoder().decode(EBillAnswer.self, from: Data(body.readableBytesView))
            #expect(answer.status == .rejected && answer.reason?.code == "malformed_request")
            #expect(network.acceptedBillCount == 0)
        }
    }
}

extension DeliveryOutcome {
    var isDelivered: Bool {
        if case .delivered = self { return true }
        return false
    }
}

/// A TCP port on 127.0.0.1 that refuses connections while this lives: bound, never listening.
final class RefusingPort {
    let descriptor: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, bound else {
            if fd >= 0 { close(fd) }
            throw MissiveError(.unavailable, "Could not bind a local port.")
        }
        descriptor = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
