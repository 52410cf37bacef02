import Foundation
import NIOCore
import NIOPosix

/// A small SMTP client for handing notifications to a smarthost (RFC 5321): EHLO (HELO if
/// refused), `MAIL FROM`, `RCPT TO`, `DATA` with dot-stuffing, `QUIT`. Plain SMTP: point it
/// at a relay on a trusted network (e.g. the local Postfix), which takes care of delivery.
public struct SMTPClient: Sendable {
    public struct Endpoint: Sendable {
        public var host: String
        public var port: Int
        /// The name this client says in EHLO.
        public var heloName: String
        /// For the whole exchange.
        public var timeout: Duration
        public init(host: String, port: Int, heloName: String, timeout: Duration = .seconds(60)) {
            self.host = host
            self.port = port
            self.heloName = heloName
            self.timeout = timeout
        }
    }

    /// A refusal or failure; `permanent` for 5xx replies.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var code: Int?
        public var text: String
        public var permanent: Bool { (code ?? 0) >= 500 }
        public var description: String { code.map { "\($0) \(text)" } ?? text }
    }

    public let endpoint: Endpoint

    public init(endpoint: Endpoint) {
        self.endpoint = endpoint
    }

    /// Sends one message (CRLF line ends) from `from` (empty for the null sender) to `recipients`.
    public func send(_ message: [UInt8], from: String, to recipients: [String]) async throws {
        let endpoint = self.endpoint
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.seconds(10))
                    .connect(host: endpoint.host, port: endpoint.port) { channel in
                        channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                    }
                try await channel.executeThenClose { inbound, outbound in
                    var session = Session(inbound: inbound.makeAsyncIterator(), outbound: outbound)
                    try await session.expect(220)
                    if (try? await session.command("EHLO \(endpoint.heloName)", expect: 250)) == nil {
                        try await session.command("HELO \(endpoint.heloName)", expect: 250)
                    }
                    try await session.command("MAIL FROM:<\(from)>", expect: 250)
                    for recipient in recipients { try await session.command("RCPT TO:<\(recipient)>", expect: 250, 251) }
                    try await session.command("DATA", expect: 354)
                    try await outbound.write(ByteBuffer(bytes: Self.dotStuffed(message)))
                    try await session.command(".", expect: 250)
                    _ = try? await session.command("QUIT", expect: 221)
                }
            }
            group.addTask {
                try await Task.sleep(for: endpoint.timeout)
                throw Failure(code: nil, text: "timeout")
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// CRLF line ends, a dot doubled at the start of a line, and a final CRLF.
    static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 50 + 8)
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in message {
            if byte == 10, previous != 13 { out.append(13) }
            if atLineStart, byte == 46 { out.append(46) }
            out.append(byte)
            atLineStart = byte == 10
            previous = byte
        }
        if !atLineStart { out += [13, 10] }
        return out
    }

    struct Session {
        var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        var buffer: [UInt8] = []

        mutating func command(_ line: String, expect codes: Int...) async throws {
            try await outbound.write(ByteBuffer(string: line + "\r\n"))
            try await expect(codes)
        }

        mutating func expect(_ codes: Int...) async throws {
            try await expect(codes)
        }

        /// Reads one (possibly multi-line) reply and checks its code.
        mutating func expect(_ codes: [Int]) async throws {
            var text = ""
            while true {
                while let lf = buffer.firstIndex(of: 10) {
                    let line = String(decoding: buffer[..<lf], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    buffer.removeSubrange(...lf)
                    guard line.utf8.count >= 3, let code = Int(line.prefix(3)) else { throw Failure(code: nil, text: "malformed reply") }
                    text = String(line.dropFirst(4).prefix(200))
                    if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " {
                        guard codes.contains(code) else { throw Failure(code: code, text: text) }
                        return
                    }
                }
                guard buffer.count < 64 * 1024, let chunk = try await inbound.next() else { throw Failure(code: nil, text: "connection closed") }
                buffer += chunk.readableBytesView
            }
        }
    }
}
