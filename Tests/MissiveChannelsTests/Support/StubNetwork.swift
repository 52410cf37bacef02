import Foundation
import Hummingbird
import Logging
@testable import MissiveChannels
import NIOCore
import ServiceLifecycle
import Synchronization

/// A scripted eBill endpoint for failure cases the sandbox never produces (500, 429, slow
/// answers); it also keeps the last request's headers and body.
final class StubNetwork: Service, Sendable {
    /// The last request seen.
    struct Seen: Sendable {
        var headers: [String: String]
        var body: Data
    }

    private let status: Int
    private let answer: String
    private let delay: Duration
    private let address = ListeningAddress()
    private let seen = Mutex<Seen?>(nil)

    init(status: Int, answer: String = "", delay: Duration = .zero) {
        self.status = status
        self.answer = answer
        self.delay = delay
    }

    func baseURL() async throws -> URL { try await address.wait() }

    var lastRequest: Seen? { seen.withLock { $0 } }

    func run() async throws {
        defer { address.stop() }
        let router = Router()
        router.post("v1/bills") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 16 * 1024 * 1024)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            self.seen.withLock { $0 = Seen(headers: headers, body: Data(body.readableBytesView)) }
            try await Task.sleep(for: self.delay)
            return Response(status: .init(code: self.status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: self.answer)))
        }
        let address = self.address
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port, let url = URL(string: "http://127.0.0.1:\(port)") {
                    address.listen(at: url)
                }
            },
            logger: Logger(label: "stub-ebill")
        )
        try await application.run()
    }
}
