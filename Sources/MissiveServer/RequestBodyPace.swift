import NIOCore
import NIOHTTPTypes

/// Closes an HTTP connection whose request body arrives too slowly (a "slow POST"): the
/// body gets the idle timeout, extended by one second for every `minimumBytesPerSecond`
/// bytes received - the rule of Apache's `RequestReadTimeout body=…,MinRate=…`. Hummingbird's
/// idle timer restarts with every body part, so without this a client trickling one byte a
/// second would hold its connection (and a request task) for as long as it likes; an
/// honest upload, even of 25 MB over a slow line, stays far above the rate.
final class RequestBodyPace: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private let minimumBytesPerSecond: Int
    private var bodyStarted: NIODeadline?
    private var received = 0
    private var check: Scheduled<Void>?

    init(timeout: TimeAmount, minimumBytesPerSecond: Int) {
        self.timeout = timeout
        self.minimumBytesPerSecond = max(1, minimumBytesPerSecond)
    }

    /// When the body must have arrived, given what has arrived so far.
    private var deadline: NIODeadline? {
        bodyStarted.map { $0 + timeout + .nanoseconds(Int64(received) * 1_000_000_000 / Int64(minimumBytesPerSecond)) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            bodyStarted = .now()
            received = 0
            schedule(context)
        case .body(let buffer):
            received += buffer.readableBytes
        case .end:
            bodyStarted = nil
            check?.cancel()
            check = nil
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
    }

    private func schedule(_ context: ChannelHandlerContext) {
        guard check == nil, let deadline else { return }
        check = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in
            check = nil
            guard let due = self.deadline else { return }
            if due <= .now() {
                context.close(promise: nil)
            } else {
                schedule(context)
            }
        }
    }
}

@available(*, unavailable)
extension RequestBodyPace: Sendable {}
