import Foundation
import Logging
import MissiveCore
import NIOCore
import NIOPosix

/// Asks ClamAV's `clamd` about each document with `zINSTREAM` (the document decrypted and
/// streamed in chunks from the blob store, never read whole and never written in plaintext),
/// over TCP or a Unix socket. A scanner
/// that cannot be reached, times out or answers an error makes the submission fail with
/// a retryable `unavailable`: nothing is ever accepted unscanned.
public struct ClamdScanner: VirusScanner {
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)

        /// `tcp:HOST:PORT` or `unix:/path/clamd.ctl`.
        public init?(_ text: String) {
            if text.hasPrefix("unix:") {
                let path = String(text.dropFirst(5))
                guard path.hasPrefix("/") else { return nil }
                self = .unix(path: path)
            } else if text.hasPrefix("tcp:") {
                let rest = text.dropFirst(4)
                guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port) else { return nil }
                self = .tcp(host: String(rest[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)
            } else {
                return nil
            }
        }
    }

    let address: Address
    let blobs: any BlobStore
    let timeout: Duration
    let logger: Logger

    public init(address: Address, blobs: any BlobStore, timeout: Duration = .seconds(60), logger: Logger) {
        self.address = address
        self.blobs = blobs
        self.timeout = timeout
        self.logger = logger
    }

    public func scan(_ storageKey: String) async throws -> ScanVerdict {
        let answer: String
        do {
            answer = try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask { try await self.ask(storageKey) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw ClamdFailure(reason: "timeout")
                }
                let first = try await group.next()!
                group.cancelAll()
                return first
            }
        } catch let error as MissiveError {
            // From the blob store (a missing or damaged document), not from clamd.
            throw error
        } catch {
            logger.error("virus scanner unavailable", metadata: ["missive.error": "\((error as? ClamdFailure)?.reason ?? String(reflecting: type(of: error)))"])
            throw MissiveError(.unavailable, "The virus scanner cannot be reached; nothing was accepted. Try again later.")
        }
        return try Self.verdict(answer)
    }

    /// `stream: OK`, `stream: <signature> FOUND`, or an error.
    public static func verdict(_ answer: String) throws -> ScanVerdict {
        let text = answer.trimmingCharacters(in: CharacterSet(charactersIn: "\0\n ").union(.whitespaces))
        if text.hasSuffix(": OK") { return .clean }
        if text.hasSuffix(" FOUND"), let colon = text.firstIndex(of: ":") {
            return .infected(signature: String(text[text.index(after: colon)...].dropLast(6)).trimmingCharacters(in: .whitespaces))
        }
        // e.g. "INSTREAM size limit exceeded. ERROR": not scanned, so not accepted.
        throw MissiveError(.unavailable, "The virus scanner could not scan a document (\(text.prefix(80))); nothing was accepted.")
    }

    private func ask(_ storageKey: String) async throws -> String {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.seconds(5))
        let initializer: @Sendable (any NIOCore.Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> = { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        switch address {
        case .tcp(let host, let port): channel = try await bootstrap.connect(host: host, port: port, channelInitializer: initializer)
        case .unix(let path): channel = try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
        }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "zINSTREAM\0"))
            try await blobs.read(storageKey) { chunk in
                // A zero length ends the stream for clamd: an empty chunk is not sent.
                guard !chunk.isEmpty else { return }
                var buffer = ByteBuffer()
                buffer.writeInteger(UInt32(chunk.count), endianness: .big)
                buffer.writeBytes(chunk)
                try await outbound.write(buffer)
            }
            var end = ByteBuffer()
            end.writeInteger(UInt32(0), endianness: .big)
            try await outbound.write(end)
            var answer = [UInt8]()
            for try await part in inbound {
                answer += part.readableBytesView
                if answer.last == 0 || answer.count > 4096 { break }
            }
            guard !answer.isEmpty else { throw ClamdFailure(reason: "no answer") }
            return String(decoding: answer, as: UTF8.self)
        }
    }
}

struct ClamdFailure: Error {
    var reason: String
}
