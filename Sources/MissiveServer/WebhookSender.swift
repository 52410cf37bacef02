import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import MissiveCore
import MissiveSOAP
import NIOCore
import NIOHTTP1

/// Sends webhook messages from the durable outbox, signed per Standard Webhooks
/// (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`), and
/// retries failures with exponential back-off. A slow or dead endpoint only holds its own
/// messages; nothing is dropped silently: after the last attempt a message is `failed` and
/// stays visible in the API.
struct WebhookSender: Sendable {
    let store: any WebhookStore
    let client: HTTPClient
    let clock: any WallClock
    let retry: RetryPolicy
    let wake: WakeSignal
    let logger: Logger
    var timeout: TimeAmount = .seconds(10)

    func run() async {
        await WorkLoop(concurrency: 32, idle: .seconds(1), wake: wake, claim: { limit in
            try await store.claimDeliveries(limit: limit, now: clock.now(), leaseDuration: 60)
        }, perform: { claimed in
            await send(claimed)
        }, nextDue: {
            try await store.nextDeliveryDue()
        }, clock: clock).run()
    }

    static func signature(secret: String, id: String, timestamp: Int, body: Data) -> String {
        let keyText = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        let key = SymmetricKey(data: Data(base64Encoded: keyText) ?? Data(keyText.utf8))
        var message = Data("\(id).\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: key)
        return "v1," + Data(mac).base64EncodedString()
    }

    func send(_ claimed: ClaimedDelivery) async {
        let delivery = claimed.delivery
        let started = Date()
        // Standard Webhooks receivers check the timestamp against real time.
        let timestamp = Int(started.timeIntervalSince1970)
        var request = HTTPClientRequest(url: claimed.url)
        request.method = .POST
        let body: Data
        switch claimed.format {
        case .standardWebhooks:
            body = delivery.payload
            request.headers.add(name: "content-type", value: "application/json")
        case .soap11, .soap12:
            // The SOAP status callback: the same message as a StatusNotification envelope.
            let version: SOAPVersion = claimed.format == .soap11 ? .soap11 : .soap12
            body = Data((StatusNotification.envelope(forWebhookBody: delivery.payload, notificationID: delivery.id.rawValue, version: version) ?? "").utf8)
            for (name, value) in StatusNotification.headers(version: version) { request.headers.add(name: name, value: value) }
        }
        request.headers.add(name: "user-agent", value: "Missive-Webhooks/1")
        request.headers.add(name: "webhook-id", value: delivery.id.rawValue)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: Self.signature(secret: claimed.secret, id: delivery.id.rawValue, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        var statusCode: Int?
        var failure: String?
        do {
            let response = try await client.execute(request, timeout: timeout)
            statusCode = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 16 * 1024)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            failure = "timeout"
        } catch {
            failure = "connection failed"
        }
        let succeeded = statusCode.map { (200..<300).contains($0) } ?? false
        let attemptNumber = delivery.attemptCount + 1
        let next = succeeded ? nil : retry.delay(afterAttempt: attemptNumber).map { clock.now().addingTimeInterval($0) }
        let attempt = WebhookAttempt(at: clock.now(), statusCode: statusCode, error: failure ?? (succeeded ? nil : "HTTP \(statusCode ?? 0)"), durationMs: Int(Date().timeIntervalSince(started) * 1000))
        if !succeeded {
            logger.notice("webhook attempt failed", metadata: [LogKey.webhook: "\(delivery.webhookID)", "missive.delivery.id": "\(delivery.id)", "missive.attempt": "\(attemptNumber)", LogKey.error: "\(attempt.error ?? "")"])
        }
        do {
            try await store.recordAttempt(claimed, attempt: attempt, succeeded: succeeded, nextAttemptAt: next)
        } catch {
            logger.error("could not record webhook attempt", metadata: ["missive.delivery.id": "\(delivery.id)"])
        }
    }
}
