import NIOCore
import NIOTLS

/// What the connection loop reads: bytes tagged with whether they came through TLS, or a
/// signal (read timeout, server shutdown).
enum SMTPInbound: Sendable {
    case bytes(ByteBuffer, secure: Bool)
    case timeout
    case shutdown
}

/// Fired through a connection's pipeline when the server shuts down gracefully.
struct SMTPShutdownEvent: Sendable {}

/// Sits just before the async bridge: tags every inbound buffer with whether TLS was up
/// when it passed (so clear-text bytes pipelined behind STARTTLS are never taken as
/// encrypted ones), and turns idle timeouts and shutdown into inbound elements.
final class SMTPInboundTagger: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = SMTPInbound

    private var secure = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(.bytes(unwrapInboundIn(data), secure: secure)))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let tls as TLSUserEvent:
            if case .handshakeCompleted = tls { secure = true }
        // The async bridge hands reads on at channelReadComplete: signals need one too.
        case let idle as IdleStateHandler.IdleStateEvent where idle == .read:
            context.fireChannelRead(wrapInboundOut(.timeout))
            context.fireChannelReadComplete()
        case is SMTPShutdownEvent:
            context.fireChannelRead(wrapInboundOut(.shutdown))
            context.fireChannelReadComplete()
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }
}

@available(*, unavailable)
extension SMTPInboundTagger: Sendable {}
