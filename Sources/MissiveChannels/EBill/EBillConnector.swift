import AsyncHTTPClient
import Foundation
import Logging
import MissiveCore
import NIOCore
import NIOHTTP1

/// The eBill channel: submits invoices to an eBill network endpoint over HTTPS (JSON).
///
/// `POST {baseURL}/v1/bills` carries the bill and its PDF (base64) with the envelope id as
/// `Idempotency-Key`, so a retried dispatch never files the bill twice. The network's
/// answer maps to an outcome:
/// - 200/201/202 `accepted` → ``DeliveryOutcome/delivered(detail:)`` with `networkReference`;
/// - other 4xx (and 2xx `rejected`) → ``DeliveryOutcome/refused(_:)`` with the network's reason;
/// - 408, 429, 5xx, timeouts and connection errors → throws `channelUnavailable`, which the
///   core retries with back-off.
///
/// The connector uses the `HTTPClient` it is given and never shuts it down. It logs envelope
/// ids and status codes only, never amounts or document content.
public struct EBillConnector: DeliveryChannel {
    /// The largest response body read from the network.
    static let responseLimit = 64 * 1024

    private let baseURL: @Sendable () throws -> URL
    private let bearerToken: String?
    private let timeout: Duration
    private let httpClient: HTTPClient
    private let blobs: any BlobStore
    private let logger: Logger

    /// Creates a connector to a fixed network endpoint.
    /// - Parameters:
    ///   - configuration: Endpoint, credential and timeout.
    ///   - httpClient: The client to send with; the caller owns (and shuts down) it.
    ///   - blobs: Where the bills' PDFs are read from.
    ///   - logger: Logs envelope ids and status codes only.
    public init(configuration: Configuration, httpClient: HTTPClient, blobs: any BlobStore, logger: Logger = Logger(label: "missive.channels.ebill")) {
        let url = configuration.baseURL
        self.baseURL = { url }
        self.bearerToken = configuration.bearerToken
        self.timeout = configuration.timeout
        self.httpClient = httpClient
        self.blobs = blobs
        self.logger = logger
    }

    /// Creates a connector to the built-in sandbox network. Until the sandbox listens,
    /// deliveries throw `channelUnavailable` (and are retried).
    public init(sandbox: SandboxEBillNetwork, timeout: Duration = .seconds(30), httpClient: HTTPClient, blobs: any BlobStore, logger: Logger = Logger(label: "missive.channels.ebill")) {
        self.baseURL = {
            guard let url = sandbox.listeningURL else {
                throw MissiveError(.channelUnavailable, "The sandbox eBill network is not listening yet.")
            }
            return url
        }
        self.bearerToken = nil
        self.timeout = timeout
        self.httpClient = httpClient
        self.blobs = blobs
        self.logger = logger
    }

    /// Submits the envelope as a bill to the eBill network.
    public func deliver(_ envelope: Envelope, entry: DirectoryEntry?) async throws -> DeliveryOutcome {
        guard let recipientID = envelope.recipient.eBillID ?? entry?.eBillID else {
            return .refused(Reason(code: "no_ebill_id", text: "The recipient is not registered for eBill."))
        }
        guard let invoice = envelope.invoice else {
            return .refused(Reason(code: "no_invoice_details", text: "eBill needs the invoice's amount and currency."))
        }
        guard let document = envelope.mainDocument else {
            return .refused(Reason(code: "no_document", text: "The envelope has no main document."))
        }
        let content = try await blobs.read(document.storageKey)
        let bill = EBillBill(
            billId: envelope.id.rawValue, billerId: envelope.organisationID.rawValue, recipientId: recipientID,
            amount: invoice.amount, currency: invoice.currency, reference: invoice.reference, iban: invoice.iban,
            dueDate: invoice.dueDate, title: envelope.title,
            document: .init(sha256: document.sha256, byteSize: document.byteSize, mediaType: document.mediaType, content: content.base64EncodedString())
        )
        let (status, body) = try await submit(bill, envelope: envelope.id)
        logger.info("eBill network answered", metadata: [LogKey.envelopeID: "\(envelope.id)", LogKey.httpStatus: "\(status)"])
        return try Self.outcome(status: status, body: body)
    }

    /// Sends the bill; any transport failure becomes `channelUnavailable`.
    private func submit(_ bill: EBillBill, envelope: EnvelopeID) async throws -> (status: Int, body: ByteBuffer) {
        var request = HTTPClientRequest(url: try baseURL().appending(path: "v1/bills").absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: bill.billId)
        if let bearerToken {
            request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)")
        }
        request.body = .bytes(try ChannelJSON.encoder().encode(bill))
        do {
            let response = try await httpClient.execute(request, timeout: Self.timeAmount(timeout), logger: logger)
            let body = try await response.body.collect(upTo: Self.responseLimit)
            return (Int(response.status.code), body)
        } catch let error as CancellationError {
            throw error
        } catch {
            logger.notice("eBill network unreachable", metadata: [LogKey.envelopeID: "\(envelope)", LogKey.error: "\(ErrorSummary.of(error))"])
            throw MissiveError(.channelUnavailable, "The eBill network could not be reached (\(ErrorSummary.of(error))).")
        }
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension EBillConnector {
    /// Where and how to reach an eBill network.
    public struct Configuration: Sendable, Hashable, CustomStringConvertible {
        /// The network's base URL; bills go to `{baseURL}/v1/bills`.
        public var baseURL: URL
        /// Sent as `Authorization: Bearer …` when set. Never logged.
        public var bearerToken: String?
        /// The limit for one whole request (connect, send, answer).
        public var timeout: Duration

        /// Creates a configuration.
        /// - Parameters:
        ///   - baseURL: The network's base URL.
        ///   - bearerToken: The credential the network issued, if it wants one.
        ///   - timeout: The limit for one request; 30 seconds by default.
        public init(baseURL: URL, bearerToken: String? = nil, timeout: Duration = .seconds(30)) {
            self.baseURL = baseURL
            self.bearerToken = bearerToken
            self.timeout = timeout
        }

        /// The endpoint and timeout; the token is redacted.
        public var description: String {
            "EBillConnector.Configuration(baseURL: \(baseURL), bearerToken: \(bearerToken == nil ? "none" : "redacted"), timeout: \(timeout))"
        }
    }
}
