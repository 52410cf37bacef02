import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A webhook endpoint on 127.0.0.1 that checks every request's Standard Webhooks signature
/// itself and records the verified messages. It can be told to fail its first requests.
final class WebhookReceiver: Sendable {
    /// One verified message.
    struct Message: Sendable {
        var webhookID: String
        var timestamp: Int
        var body: Data
        var payload: JSON
        /// `type` of the payload (`envelope.accepted`, `webhook.test`, …).
        var type: String { payload["type"]?.string ?? "" }
        /// `data.envelopeId`, for envelope events.
        var envelopeID: String? { payload["data"]?["envelopeId"]?.string }
    }

    private struct State {
        var secret: String?
        var requests = 0
        var messages: [Message] = []
        var rejected: [String] = []
    }

    private let state = Mutex(State())
    /// Requests answered `500` before the receiver starts accepting.
    let failFirst: Int

    init(failFirst: Int = 0) {
        self.failFirst = failFirst
    }

    /// The signing secret (`whsec_…`) of the subscription; requests before it is known get 503.
    func use(secret: String) {
        state.withLock { $0.secret = secret }
    }

    /// Verified messages in arrival order.
    var messages: [Message] { state.withLock { $0.messages } }
    /// Every request seen, failed ones included.
    var requestCount: Int { state.withLock { $0.requests } }
    /// Why requests were refused (bad signature, missing headers…).
    var rejections: [String] { state.withLock { $0.rejected } }

    /// Answers one delivery.
    private func receive(_ request: Request) async throws -> Response {
        var request = request
        let body = Data(try await request.collectBody(upTo: 1024 * 1024).readableBytesView)
        let id = request.headers[HTTPField.Name("webhook-id")!]
        let timestamp = request.headers[HTTPField.Name("webhook-timestamp")!]
        let signatures = request.headers[HTTPField.Name("webhook-signature")!]
        let status: HTTPResponse.Status = state.withLock { state in
            state.requests += 1
            if state.requests <= failFirst { return .internalServerError }
            guard let secret = state.secret else { return .serviceUnavailable }
            guard let id, let timestamp, let seconds = Int(timestamp), let signatures else {
                state.rejected.append("missing webhook headers")
                return .badRequest
            }
            guard abs(Date().timeIntervalSince1970 - Double(seconds)) < 300 else {
                state.rejected.append("timestamp \(timestamp) too far from now")
                return .badRequest
            }
            guard Self.verify(secret: secret, id: id, timestamp: timestamp, body: body, signatures: signatures) else {
                state.rejected.append("bad signature for \(id)")
                return .unauthorized
            }
            guard let payload = try? JSON.parse(body) else {
                state.rejected.append("body of \(id) is not JSON")
                return .badRequest
            }
            state.messages.append(Message(webhookID: id, timestamp: seconds, body: body, payload: payload))
            return .noContent
        }
        return Response(status: status)
    }

    /// Standard Webhooks: HMAC-SHA256 keyed with the base64-decoded part of `whsec_…` over
    /// `id.timestamp.body`, compared with each space-separated `v1,<base64>` entry.
    static func verify(secret: String, id: String, timestamp: String, body: Data, signatures: String) -> Bool {
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))) else { return false }
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        let expected = Data(HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key)))
        for entry in signatures.split(separator: " ") {
            let parts = entry.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let candidate = Data(base64Encoded: String(parts[1])) else { continue }
            if candidate.count == expected.count, zip(candidate, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 { return true }
        }
        return false
    }

    /// Runs the receiver around `body`, which gets the URL to subscribe.
    func run<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/hooks") { request, _ in try await self.receive(request) }
        let bound = OnceValue()
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "webhook-receiver"),
            onServerRunning: { channel in bound.set(channel.localAddress?.port ?? 0) },
            logger: testLogger()
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            let port = try await withDeadline(.seconds(10), "the webhook receiver did not start") { await bound.value() }
            return try await body("http://127.0.0.1:\(port)/hooks")
        }
    }
}

/// An Int published once and awaited.
private final class OnceValue: Sendable {
    private let state = Mutex<(Int?, [CheckedContinuation<Int, Never>])>((nil, []))

    func set(_ value: Int) {
        let waiters = state.withLock { state in
            state.0 = value
            defer { state.1 = [] }
            return state.1
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    func value() async -> Int {
        await withCheckedContinuation { continuation in
            let value = state.withLock { state -> Int? in
                if let value = state.0 { return value }
                state.1.append(continuation)
                return nil
            }
            if let value { continuation.resume(returning: value) }
        }
    }
}
