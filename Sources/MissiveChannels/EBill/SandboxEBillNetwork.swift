import Foundation
import Hummingbird
import Logging
import MissiveCore
import NIOCore
import ServiceLifecycle

/// The built-in eBill network for `--sandbox` and test keys: an HTTP server speaking the
/// same API as a real network (`POST /v1/bills`), so ``EBillConnector`` runs unchanged.
///
/// Rules: a recipient id ending in `99` is rejected (422, `recipient_unknown`); every other
/// bill is accepted (201, `networkReference` `EB-…`); a repeated `Idempotency-Key` gets the
/// first answer again; a malformed body gets 400. Accepted bills are kept in memory.
///
/// Run it in the `ServiceGroup`; it binds `127.0.0.1` port 0 by default and stops on
/// graceful shutdown. Read the bound address with ``baseURL()`` (waits) or
/// ``listeningURL`` (now). One instance runs once.
public final class SandboxEBillNetwork: Service, Sendable {
    /// The largest bill body accepted (the PDF travels base64 inside it).
    static let requestLimit = 64 * 1024 * 1024

    private let host: String
    private let port: Int
    private let logger: Logger
    let ledger = SandboxEBillLedger()
    private let address = ListeningAddress()

    /// Creates the network; it listens once ``run()`` is called.
    /// - Parameters:
    ///   - host: The address to bind; loopback by default.
    ///   - port: The port to bind; 0 picks a free one.
    ///   - logger: Logs bill ids and answers only.
    public init(host: String = "127.0.0.1", port: Int = 0, logger: Logger = Logger(label: "missive.sandbox.ebill")) {
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// The base URL (`http://host:port`) once the server listens; throws if it stopped or
    /// failed to start first.
    public func baseURL() async throws -> URL {
        try await address.wait()
    }

    /// The base URL if the server listens now, else `nil`.
    public var listeningURL: URL? { address.current }

    /// The number of distinct bills accepted so far.
    public var acceptedBillCount: Int { ledger.acceptedCount }

    /// Serves until graceful shutdown (or cancellation).
    public func run() async throws {
        defer { address.stop() }
        let router = Router()
        router.post("v1/bills") { request, _ in
            try await self.receive(request)
        }
        let host = self.host
        let address = self.address
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "missive-sandbox-ebill"),
            onServerRunning: { channel in
                guard let port = channel.localAddress?.port else { return }
                let authority = host.contains(":") ? "[\(host)]" : host
                if let url = URL(string: "http://\(authority):\(port)") {
                    address.listen(at: url)
                }
            },
            logger: logger
        )
        try await application.run()
    }

    /// Answers one `POST /v1/bills`.
    private func receive(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: Self.requestLimit)
        // `HTTPField` itself is not re-exported by Hummingbird; the name is built in place.
        let key = request.headers[.init("Idempotency-Key")!]
        let reply = ledger.receive(Data(body.readableBytesView), idempotencyKey: key)
        logger.info("sandbox eBill answered", metadata: [LogKey.httpStatus: "\(reply.status)", LogKey.eBillAnswer: "\(reply.answer.status.rawValue)"])
        let json = try ChannelJSON.encoder().encode(reply.answer)
        return Response(
            status: HTTPResponse.Status(code: reply.status),
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: json))
        )
    }
}
