import Foundation
import Logging
import MissiveCore
import NIOCore
import NIOSSL

/// One SMTP connection: frames the bytes, drives the session state machine and performs
/// its actions (replies, TLS, credential and address checks, storing the message).
/// Replies are written in order and flushed whenever the client's pipelined input is used up.
struct SMTPConnection {
    let server: SMTPServer
    let channel: any NIOCore.Channel
    var machine: SMTPSessionStateMachine
    var framer: SMTPFramer
    var intake: SMTPMessageIntake?
    var chunkBytes = 0
    var closed = false
    /// STARTTLS was answered: every later byte must have come through TLS.
    var expectTLS = false
    var shutdownRequested = false
    /// When the hub began waiting for the command now arriving. A command must be complete
    /// within the timeout however slowly its bytes trickle in (the idle timer alone restarts
    /// with every byte, so a client sending one byte a minute would hold a session forever).
    var commandWaitStarted = ContinuousClock.now
    var logger: Logger

    init(server: SMTPServer, channel: any NIOCore.Channel, networkPrincipal: SMTPPrincipal?) {
        self.server = server
        self.channel = channel
        let configuration = server.configuration
        self.machine = SMTPSessionStateMachine(
            configuration: .init(hostname: configuration.hostname, maxMessageBytes: configuration.maxMessageBytes, maxRecipients: configuration.maxRecipients, tlsAvailable: configuration.tls != nil),
            networkPrincipal: networkPrincipal
        )
        self.framer = SMTPFramer(maxLineBytes: configuration.maxLineBytes)
        var logger = server.logger
        logger[metadataKey: "smtp.peer"] = "\(channel.remoteAddress?.ipAddress ?? "?")"
        self.logger = logger
    }

    mutating func run(_ inbound: NIOAsyncChannelInboundStream<SMTPInbound>) async throws {
        try await perform(machine.connected())
        flush()
        var iterator = inbound.makeAsyncIterator()
        while !closed {
            while !closed, let frame = framer.next() {
                try await handle(frame)
            }
            flush()
            if !closed, commandOverdue {
                logger.notice("smtp command not completed within the timeout; closing")
                try await perform(machine.timedOut())
                flush()
                break
            }
            if shutdownRequested, !machine.inTransaction, !closed {
                try await perform(machine.shutdown())
                flush()
            }
            guard !closed, let input = try await iterator.next() else { break }
            switch input {
            case .bytes(let buffer, let secure):
                if expectTLS, !secure {
                    logger.notice("smtp clear-text bytes after STARTTLS; closing")
                    closed = true
                    break
                }
                framer.feed(buffer.readableBytesView)
            case .timeout:
                try await perform(machine.timedOut())
                flush()
            case .shutdown:
                shutdownRequested = true
            }
        }
        flush()
    }

    /// A command has started arriving and has not ended within the timeout.
    var commandOverdue: Bool {
        let timeout = Duration.nanoseconds(server.configuration.timeout.nanoseconds)
        return framer.isPartwayThroughCommand && ContinuousClock.now - commandWaitStarted > timeout
    }

    /// Throws away a message that was being received when the connection ended.
    func abandon() async {
        await intake?.discard()
    }

    private mutating func handle(_ frame: SMTPFramer.Frame) async throws {
        switch frame {
        case .command(let line):
            try await perform(machine.command(line))
            framer.resumeIfPaused()
            commandWaitStarted = .now
        case .lineTooLong:
            try await perform(machine.lineTooLong())
            commandWaitStarted = .now
        case .data(let bytes):
            if machine.contentReceived(bytes.count) {
                await intake?.feed(bytes)
            }
        case .dataEnd:
            try await perform(machine.dataEnded())
            commandWaitStarted = .now
        case .chunk(let bytes):
            chunkBytes += bytes.count
            if machine.contentReceived(bytes.count), intake != nil {
                await intake?.feed(bytes)
                if let failure = intake?.failure { machine.contentRefused(failure.reply) }
            }
        case .chunkEnd:
            let size = chunkBytes
            chunkBytes = 0
            try await perform(machine.chunkEnded(size: size))
            commandWaitStarted = .now
        }
    }

    private mutating func perform(_ action: SMTPSessionStateMachine.Action) async throws {
        switch action {
        case .reply(let reply):
            write(reply)
        case .replyAndClose(let reply):
            write(reply)
            flush()
            closed = true
            await intake?.discard()
            intake = nil
        case .replyAndResume(let reply):
            write(reply)
            framer.resumeCommands()
        case .checkSender(let path, let principal):
            do {
                try server.postOffice.admission.check()
            } catch let error as MissiveError {
                // Busy: refused at MAIL, before the content is sent (submit checks again).
                return try await perform(machine.senderDeferred(Self.reply(for: error)))
            }
            let allowed = (try? await server.policy.maySend(from: path, principal: principal)) ?? false
            try await perform(machine.senderChecked(allowed))
        case .checkRecipient(let path, let principal):
            let result: Result<SMTPRecipientTarget, SMTPRejection>
            do {
                result = try await server.policy.resolve(path, principal: principal)
            } catch {
                result = .failure(SMTPRejection(SMTPReply(451, "4.3.0", "Cannot check the recipient now; try again later")))
            }
            try await perform(machine.recipientChecked(result))
        case .checkCredentials(let username, let password):
            let principal = try? await server.policy.authenticate(username: username, password: password)
            if principal == nil { logger.notice("smtp authentication failed") }
            try await perform(machine.credentialsChecked(principal))
        case .startTLS(let reply):
            try await startTLS(reply)
        case .beginData(let reply):
            intake = makeIntake()
            write(reply)
            framer.enterData()
        case .readChunk(let discard):
            if !discard, intake == nil { intake = makeIntake() }
            chunkBytes = 0
        case .commit(let transaction, let principal):
            let reply = await commit(transaction, principal)
            try await perform(machine.committed(reply))
        case .discardMessage(let reply):
            await intake?.discard()
            intake = nil
            write(reply)
        }
    }

    private func makeIntake() -> SMTPMessageIntake {
        SMTPMessageIntake(blobs: server.postOffice.ports.blobs, limits: .init(maxDocumentBytes: server.configuration.maxDocumentBytes, maxAttachments: server.configuration.maxAttachments))
    }

    /// Reads the end of the message, then commits one envelope per recipient; `250` only
    /// once every envelope is durable.
    private mutating func commit(_ transaction: SMTPTransaction, _ principal: SMTPPrincipal) async -> SMTPReply {
        guard var intake else { return SMTPReply(451, "4.3.0", "Cannot store the message now; try again later") }
        self.intake = nil
        let read = await intake.finish()
        let message: ReadMessage
        switch read {
        case .success(let value): message = value
        case .failure(let rejection): return rejection.reply
        }
        let drafts: [(SMTPAcceptedRecipient, EnvelopeDraft)]
        switch SMTPEnvelopeMapping.drafts(message, transaction: transaction, hostname: server.configuration.hostname, arrival: server.postOffice.clock.now()) {
        case .success(let value): drafts = value
        case .failure(let rejection): return rejection.reply
        }
        var ids: [String] = []
        for (_, draft) in drafts {
            do {
                let result = try await server.postOffice.submit(draft, organisation: principal.organisation, principal: principal.principal, mode: principal.mode)
                switch result {
                case .accepted(let envelope), .replayed(let envelope, _):
                    ids.append(envelope.id.rawValue)
                }
            } catch let error as MissiveError {
                logger.notice("smtp message refused", metadata: ["missive.error.code": "\(error.code)"])
                return Self.reply(for: error)
            } catch {
                return SMTPReply(451, "4.3.0", "Cannot store the message now; try again later")
            }
        }
        logger.info("smtp message accepted", metadata: ["missive.envelope.ids": "\(ids.joined(separator: ","))"])
        return SMTPReply(250, "2.0.0", "Ok: queued as \(ids.joined(separator: " "))")
    }

    static func reply(for error: MissiveError) -> SMTPReply {
        switch error.code {
        case .unavailable: SMTPReply(451, "4.3.0", "Temporarily unable to accept the message; try again later")
        case .busy: SMTPReply(451, "4.3.2", "Busy working off a backlog; try again later")
        case .virusDetected: SMTPReply(554, "5.7.1", "A document contains malware; the letter is refused" + (error.envelopeID.map { " (recorded as \($0))" } ?? ""))
        case .organisationNotVerified: SMTPReply(550, "5.7.1", "The sending organisation is not verified yet; enter the code from its verification letter")
        case .idempotencyInFlight: SMTPReply(451, "4.3.0", "This Message-ID is being processed; try again later")
        case .idempotencyMismatch: SMTPReply(554, "5.6.0", "This Message-ID was already used for a different message")
        case .tooLarge: SMTPReply(552, "5.3.4", "Message too large")
        case .rateLimited: SMTPReply(451, "4.7.0", "Rate limit exceeded; try again later")
        default: SMTPReply(554, "5.6.0", "The letter is not valid: \(error.reason)")
        }
    }

    /// Writes `220`, then installs TLS before any further byte is read (on the event loop,
    /// in one step), so nothing the client sends afterwards is read in clear text.
    private mutating func startTLS(_ reply: SMTPReply) async throws {
        guard let context = server.configuration.tls else {
            write(SMTPReply(454, "4.7.0", "TLS not available"))
            framer.resumeCommands()
            return
        }
        let dropped = framer.discardForTLS()
        if dropped > 0 {
            logger.notice("smtp bytes pipelined behind STARTTLS; closing")
            closed = true
            return
        }
        let channel = self.channel
        let bytes = ByteBuffer(string: reply.wire)
        try await channel.eventLoop.submit {
            channel.writeAndFlush(bytes, promise: nil)
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context), position: .first)
        }.get()
        expectTLS = true
        machine.tlsStarted()
    }

    private func write(_ reply: SMTPReply) {
        channel.write(ByteBuffer(string: reply.wire), promise: nil)
    }

    private func flush() {
        channel.flush()
    }
}
