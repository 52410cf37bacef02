import Foundation
import Logging
import MissiveCore
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The ESMTP listener as a `Service`: binds, serves each connection in its own
/// non-throwing task, and on graceful shutdown stops accepting, answers idle sessions with
/// `421` and lets a message in flight finish first.
public final class SMTPServer: Service, Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// `0` picks a free port.
        public var port: Int
        /// The server's name (greeting, EHLO, DSN Reporting-MTA).
        public var hostname: String
        public var maxMessageBytes: Int
        public var maxRecipients: Int
        public var maxDocumentBytes: Int64
        public var maxAttachments: Int
        public var maxLineBytes: Int
        /// Idle time allowed while waiting for a command or for more content.
        public var timeout: TimeAmount
        public var maxSessions: Int
        public var maxSessionsPerClient: Int
        /// STARTTLS with this context; nil: no STARTTLS and therefore no AUTH.
        public var tls: NIOSSLContext?
        /// Client networks allowed to send without AUTH, each for one organisation.
        public var allowlist: [(network: SMTPNetwork, principal: SMTPPrincipal)]

        public init(host: String = "127.0.0.1", port: Int = 2525, hostname: String, maxMessageBytes: Int = 60 * 1024 * 1024, maxRecipients: Int = 100, maxDocumentBytes: Int64 = 25 * 1024 * 1024, maxAttachments: Int = 20, maxLineBytes: Int = 2048, timeout: TimeAmount = .minutes(5), maxSessions: Int = 1000, maxSessionsPerClient: Int = 20, tls: NIOSSLContext?, allowlist: [(network: SMTPNetwork, principal: SMTPPrincipal)] = []) {
            self.host = host
            self.port = port
            self.hostname = hostname
            self.maxMessageBytes = maxMessageBytes
            self.maxRecipients = maxRecipients
            self.maxDocumentBytes = maxDocumentBytes
            self.maxAttachments = maxAttachments
            self.maxLineBytes = maxLineBytes
            self.timeout = timeout
            self.maxSessions = maxSessions
            self.maxSessionsPerClient = maxSessionsPerClient
            self.tls = tls
            self.allowlist = allowlist
        }
    }

    let configuration: Configuration
    let postOffice: PostOffice
    let policy: SMTPPolicy
    let logger: Logger
    let onListening: @Sendable (Int) -> Void
    let connections = ConnectionRegistry()

    public init(configuration: Configuration, postOffice: PostOffice, policy: SMTPPolicy, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.configuration = configuration
        self.postOffice = postOffice
        self.policy = policy
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let timeout = configuration.timeout
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: timeout))
                    try channel.pipeline.syncOperations.addHandler(SMTPInboundTagger())
                    return try NIOAsyncChannel<SMTPInbound, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress?.port ?? configuration.port
        logger.info("smtp listening", metadata: ["smtp.host": "\(configuration.host)", "smtp.port": "\(port)"])
        onListening(port)
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
            self.connections.shutdownAll()
        }
    }

    func serve(_ channel: NIOAsyncChannel<SMTPInbound, ByteBuffer>) async {
        let peer = channel.channel.remoteAddress
        let client = peer?.ipAddress ?? "unknown"
        guard let token = connections.register(channel.channel, client: client, maxSessions: configuration.maxSessions, maxPerClient: configuration.maxSessionsPerClient) else {
            // Over a limit: say so and hang up, without reading anything.
            try? await channel.channel.writeAndFlush(ByteBuffer(string: SMTPReply(421, "4.7.0", "Too many connections, try again later").wire)).get()
            try? await channel.channel.close()
            return
        }
        defer { connections.unregister(token, client: client) }
        let principal = peer.flatMap { address in configuration.allowlist.first { $0.network.contains(address) }?.principal }
        var connection = SMTPConnection(server: self, channel: channel.channel, networkPrincipal: principal)
        do {
            try await channel.executeThenClose { inbound, _ in
                try await connection.run(inbound)
            }
        } catch {
            logger.debug("smtp connection ended", metadata: ["smtp.peer": "\(client)", "missive.error": "\(String(reflecting: type(of: error)))"])
        }
        await connection.abandon()
    }
}

/// The open connections: per-client limits and graceful shutdown.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [Int: any NIOCore.Channel] = [:]
        var perClient: [String: Int] = [:]
        var next = 0
        var shuttingDown = false
    }

    private let state = Mutex(State())

    func register(_ channel: any NIOCore.Channel, client: String, maxSessions: Int, maxPerClient: Int) -> Int? {
        state.withLock { state in
            guard !state.shuttingDown, state.channels.count < maxSessions, state.perClient[client, default: 0] < maxPerClient else { return nil }
            state.next += 1
            state.channels[state.next] = channel
            state.perClient[client, default: 0] += 1
            return state.next
        }
    }

    func unregister(_ token: Int, client: String) {
        state.withLock { state in
            state.channels[token] = nil
            state.perClient[client, default: 1] -= 1
            if state.perClient[client] == 0 { state.perClient[client] = nil }
        }
    }

    func shutdownAll() {
        let channels = state.withLock { state in
            state.shuttingDown = true
            return Array(state.channels.values)
        }
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(SMTPShutdownEvent())
        }
    }
}

/// An IPv4 or IPv6 network in CIDR notation (`192.0.2.0/24`, `2001:db8::/32`).
public struct SMTPNetwork: Sendable, CustomStringConvertible {
    let address: [UInt8]
    let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let bytes = Self.bytes(String(parts[0])) else { return nil }
        let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
        guard let prefix, (0...(bytes.count * 8)).contains(prefix) else { return nil }
        self.address = bytes
        self.prefix = prefix
    }

    public func contains(_ socketAddress: SocketAddress) -> Bool {
        guard let text = socketAddress.ipAddress, var bytes = Self.bytes(text) else { return false }
        // An IPv4-mapped IPv6 peer matches IPv4 networks.
        if bytes.count == 16, address.count == 4, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            bytes = Array(bytes[12...])
        }
        guard bytes.count == address.count else { return false }
        var remaining = prefix
        for index in address.indices where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            guard bytes[index] & mask == address[index] & mask else { return false }
            remaining -= bits
        }
        return true
    }

    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, text, &v4) == 1 { return v4 }
        var v6 = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET6, text, &v6) == 1 { return v6 }
        return nil
    }

    public var description: String { "\(address.count == 4 ? "IPv4" : "IPv6")/\(prefix)" }
}

#if canImport(Glibc)
import Glibc
#endif
