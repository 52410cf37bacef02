import MissiveCore
import MissiveSMTP

/// The SMTP session as ``SMTPConnection`` drives it: the client's bytes go through
/// ``SMTPFramer`` in network-sized chunks, every frame goes to ``SMTPSessionStateMachine``,
/// and its actions are performed against a deterministic policy (senders allowed, recipients
/// whose local part starts with `x` refused, the credentials `fuzz`/`fuzz` accepted, TLS
/// "started" at once, every message committed).
///
/// Promises checked: every reply is a valid SMTP reply (code 200–599, no CR or LF inside a
/// line, so client input cannot inject a reply); the machine never asks for an action its
/// state does not allow (a check while none is pending, a commit without recipients or over
/// the size or recipient limit); the framer always consumes what it frames.
public enum SMTPSessionFuzzTarget: FuzzTarget {
    public static let name = "smtp"

    static let configuration = SMTPSessionStateMachine.Configuration(hostname: "mx.fuzz.test", maxMessageBytes: 4096, maxRecipients: 5, tlsAvailable: true, maxErrors: 20, maxAuthFailures: 3)
    static let principal = SMTPPrincipal(organisation: OrganisationID(rawValue: "org_01KB0000000000000000000001")!, principal: "key_fuzz", mode: .test)

    public static func run(_ input: [UInt8]) async -> FuzzOutcome {
        var session = Session()
        if let violation = session.perform(session.machine.connected()) { return .violation(violation) }
        for chunk in InputChunks.split(input) {
            guard !session.closed else { break }
            session.framer.feed(chunk)
            if let violation = session.drain() { return .violation(violation) }
        }
        if !session.closed, let violation = session.perform(session.machine.timedOut()) { return .violation(violation) }
        if session.commits > 0 { return .accepted }
        return .rejected(session.replies.last(where: \.isError).map { "\($0.code)" } ?? "no message")
    }

    /// One connection's framer and machine, and what the server said.
    struct Session {
        var machine = SMTPSessionStateMachine(configuration: SMTPSessionFuzzTarget.configuration)
        var framer = SMTPFramer(maxLineBytes: 512)
        var replies: [SMTPReply] = []
        var closed = false
        var chunkBytes = 0
        var commits = 0

        /// Handles every frame the framer can cut from what arrived.
        mutating func drain() -> String? {
            var frames = 0
            while !closed, let frame = framer.next() {
                frames += 1
                if frames > 1_000_000 { return "the framer produced frames without consuming input" }
                if let violation = handle(frame) { return violation }
            }
            return nil
        }

        mutating func handle(_ frame: SMTPFramer.Frame) -> String? {
            switch frame {
            case .command(let line):
                let violation = perform(machine.command(line))
                framer.resumeIfPaused()
                return violation
            case .lineTooLong:
                return perform(machine.lineTooLong())
            case .data(let bytes):
                _ = machine.contentReceived(bytes.count)
                return nil
            case .dataEnd:
                return perform(machine.dataEnded())
            case .chunk(let bytes):
                chunkBytes += bytes.count
                _ = machine.contentReceived(bytes.count)
                return nil
            case .chunkEnd:
                let size = chunkBytes
                chunkBytes = 0
                return perform(machine.chunkEnded(size: size))
            }
        }

        /// Performs `action` as the connection would; returns a broken promise, if any.
        mutating func perform(_ action: SMTPSessionStateMachine.Action) -> String? {
            switch action {
            case .reply(let reply), .discardMessage(let reply):
                return write(reply)
            case .replyAndClose(let reply):
                closed = true
                return write(reply)
            case .replyAndResume(let reply):
                framer.resumeCommands()
                return write(reply)
            case .checkSender(_, let principal):
                guard principal == machine.principal else { return "a sender check for another principal" }
                return perform(machine.senderChecked(true))
            case .checkRecipient(let path, _):
                let refused = path.localPart.lowercased().hasPrefix("x")
                return perform(machine.recipientChecked(refused ? .failure(SMTPRejection(SMTPReply(550, "5.1.1", "Recipient unknown"))) : .success(.fromMessage)))
            case .checkCredentials(let username, let password):
                let accepted = username == "fuzz" && password == "fuzz"
                return perform(machine.credentialsChecked(accepted ? SMTPSessionFuzzTarget.principal : nil))
            case .startTLS(let reply):
                if let violation = write(reply) { return violation }
                _ = framer.discardForTLS()
                machine.tlsStarted()
                return nil
            case .beginData(let reply):
                framer.enterData()
                return write(reply)
            case .readChunk:
                chunkBytes = 0
                return nil
            case .commit(let transaction, let principal):
                guard !transaction.recipients.isEmpty else { return "a commit without recipients" }
                guard transaction.recipients.count <= SMTPSessionFuzzTarget.configuration.maxRecipients else { return "a commit over the recipient limit" }
                guard !transaction.oversized, transaction.bytes <= SMTPSessionFuzzTarget.configuration.maxMessageBytes else { return "a commit over the size limit" }
                guard principal == machine.principal else { return "a commit for another principal" }
                commits += 1
                return perform(machine.committed(SMTPReply(code: 250, enhanced: "2.0.0", lines: ["Ok: queued"])))
            }
        }

        mutating func write(_ reply: SMTPReply) -> String? {
            replies.append(reply)
            guard (200...599).contains(reply.code) else { return "reply code \(reply.code)" }
            for line in reply.lines where line.utf8.contains(where: { $0 == 13 || $0 == 10 }) {
                return "a reply line of \(reply.code) holds CR or LF"
            }
            if let enhanced = reply.enhanced, enhanced.utf8.contains(where: { $0 == 13 || $0 == 10 }) {
                return "an enhanced code holds CR or LF"
            }
            return nil
        }
    }
}
