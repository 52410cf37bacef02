import MissiveCore

/// Who may send in this session: an organisation, by SMTP AUTH with one of its API keys or
/// by a client network allowlisted for it.
public struct SMTPPrincipal: Sendable, Equatable {
    public var organisation: OrganisationID
    /// The API key id, or `network:<address>` for an allowlisted client.
    public var principal: String
    public var mode: Mode
    public init(organisation: OrganisationID, principal: String, mode: Mode) {
        self.organisation = organisation
        self.principal = principal
        self.mode = mode
    }
}

/// Where a recipient address leads: a recipient, or "read it from the message" (an
/// `X-Missive-Recipient` header or a `missive.json` manifest part).
public enum SMTPRecipientTarget: Sendable, Equatable {
    case recipient(Recipient)
    case fromMessage
}

/// One accepted `RCPT TO`.
public struct SMTPAcceptedRecipient: Sendable, Equatable {
    public var path: SMTPPath
    public var parameters: SMTPCommand.RecipientParameters
    public var target: SMTPRecipientTarget
}

/// A mail transaction: `MAIL FROM`, its accepted recipients, the content size so far.
public struct SMTPTransaction: Sendable, Equatable {
    public var from: SMTPPath
    public var parameters: SMTPCommand.MailParameters
    public var recipients: [SMTPAcceptedRecipient] = []
    public var bytes = 0
    /// Content went over the size limit: it is read to its end and refused.
    public var oversized = false
}

/// The ESMTP session (RFC 5321 with PIPELINING, SIZE, 8BITMIME, SMTPUTF8,
/// ENHANCEDSTATUSCODES, STARTTLS, AUTH PLAIN/LOGIN, CHUNKING and DSN) as a pure state
/// machine: the connection feeds it commands and the results of the work it asked for, and
/// performs the ``Action``s it returns. It never does I/O.
public struct SMTPSessionStateMachine: Sendable {
    public struct Configuration: Sendable {
        /// The name in the greeting and the EHLO answer.
        public var hostname: String
        /// Advertised with SIZE and enforced while content arrives.
        public var maxMessageBytes: Int
        public var maxRecipients: Int
        /// STARTTLS is offered (a certificate is configured).
        public var tlsAvailable: Bool
        /// Errors (unknown commands, bad sequences…) before the session is closed.
        public var maxErrors: Int
        /// Failed AUTH attempts before the session is closed.
        public var maxAuthFailures: Int

        public init(hostname: String, maxMessageBytes: Int = 60 * 1024 * 1024, maxRecipients: Int = 100, tlsAvailable: Bool, maxErrors: Int = 20, maxAuthFailures: Int = 3) {
            self.hostname = hostname
            self.maxMessageBytes = maxMessageBytes
            self.maxRecipients = maxRecipients
            self.tlsAvailable = tlsAvailable
            self.maxErrors = maxErrors
            self.maxAuthFailures = maxAuthFailures
        }
    }

    /// What the connection must do next.
    public enum Action: Sendable, Equatable {
        case reply(SMTPReply)
        case replyAndClose(SMTPReply)
        /// Check that the authenticated organisation may send from this address; answer
        /// with ``senderChecked(_:)``.
        case checkSender(SMTPPath, SMTPPrincipal)
        /// Resolve a recipient address; answer with ``recipientChecked(_:)``.
        case checkRecipient(SMTPPath, SMTPPrincipal)
        /// Check an organisation id and API key; answer with ``credentialsChecked(_:)``.
        case checkCredentials(username: String, password: String)
        /// Write the reply, then start TLS on the connection (dropping any clear-text bytes
        /// pipelined behind STARTTLS); answer with ``tlsStarted()``.
        case startTLS(SMTPReply)
        /// Write `354` and read message content; prepare to store a message.
        case beginData(SMTPReply)
        /// Write the reply and go on reading commands (DATA or STARTTLS was refused).
        case replyAndResume(SMTPReply)
        /// A BDAT chunk follows; feed it to the message unless `discard`.
        case readChunk(discard: Bool)
        /// The content is complete: store one envelope per recipient, durably, and answer
        /// with ``committed(_:)``.
        case commit(SMTPTransaction, SMTPPrincipal)
        /// Throw away what was stored for the current message (RSET, refused content).
        case discardMessage(SMTPReply)
    }

    enum State: Sendable, Equatable {
        case greeting
        case ready
        case checkingSender(SMTPPath, SMTPCommand.MailParameters)
        case mail(SMTPTransaction)
        case checkingRecipient(SMTPTransaction, SMTPPath, SMTPCommand.RecipientParameters)
        case data(SMTPTransaction)
        case chunks(SMTPTransaction, failure: SMTPReply?, last: Bool)
        /// A BDAT chunk that is read and thrown away (no transaction), then refused.
        case discardingChunk(SMTPReply, resume: Resume)
        case committing(SMTPTransaction)
        case authPlain
        case authLoginUsername
        case authLoginPassword(username: String)
        case checkingCredentials
        case startingTLS
        case closed
    }

    /// Where a refused BDAT chunk leaves the session.
    enum Resume: Sendable, Equatable {
        case ready
        case mail(SMTPTransaction)
    }

    public let configuration: Configuration
    var state = State.greeting
    public private(set) var helo: String?
    public private(set) var principal: SMTPPrincipal?
    public private(set) var secure = false
    var errors = 0
    var authFailures = 0
    /// Set by an allowlisted client network; SMTP AUTH is then not needed.
    let networkPrincipal: SMTPPrincipal?

    public init(configuration: Configuration, networkPrincipal: SMTPPrincipal? = nil) {
        self.configuration = configuration
        self.networkPrincipal = networkPrincipal
        self.principal = networkPrincipal
    }

    /// True while a message is being received or stored (graceful shutdown waits for it).
    public var inTransaction: Bool {
        switch state {
        case .data, .chunks, .committing: true
        case .greeting, .ready, .checkingSender, .mail, .checkingRecipient, .discardingChunk, .authPlain, .authLoginUsername, .authLoginPassword, .checkingCredentials, .startingTLS, .closed: false
        }
    }

    // MARK: Connection

    public mutating func connected() -> Action {
        state = .ready
        return .reply(SMTPReply(220, nil, "\(configuration.hostname) ESMTP Missive"))
    }

    /// The connection's command timeout expired.
    public mutating func timedOut() -> Action {
        state = .closed
        return .replyAndClose(.timeout)
    }

    /// The server shuts down; in a transaction the caller waits for it to end first.
    public mutating func shutdown() -> Action {
        state = .closed
        return .replyAndClose(.shuttingDown)
    }

    // MARK: Commands

    /// A command line (without CRLF).
    public mutating func command(_ line: [UInt8]) -> Action {
        switch state {
        case .authPlain: return authPlainResponse(line)
        case .authLoginUsername: return authLoginUsername(line)
        case .authLoginPassword(let username): return authLoginPassword(line, username: username)
        case .greeting, .checkingSender, .checkingRecipient, .data, .discardingChunk, .committing, .checkingCredentials, .startingTLS, .closed:
            return fail(.badSequence)
        case .ready, .mail, .chunks:
            break
        }
        let command: SMTPCommand
        do throws(SMTPCommandError) {
            command = try SMTPCommand.parse(line)
        } catch {
            switch error {
            case .unrecognized: return fail(.unrecognized)
            case .syntax(let reply): return fail(reply)
            }
        }
        return perform(command)
    }

    /// A command line over the length limit.
    public mutating func lineTooLong() -> Action {
        fail(.lineTooLong)
    }

    private mutating func perform(_ command: SMTPCommand) -> Action {
        if case .chunks = state {
            switch command {
            case .bdat, .rset, .quit, .noop: break
            default: return fail(SMTPReply(503, "5.5.1", "Only BDAT, RSET, NOOP or QUIT within a BDAT transaction"))
            }
        }
        switch command {
        case .ehlo(let domain):
            helo = domain
            return resetTransaction(then: .reply(ehloReply()))
        case .helo(let domain):
            helo = domain
            return resetTransaction(then: .reply(SMTPReply(250, nil, configuration.hostname)))
        case .mail(let path, let parameters):
            return mail(path, parameters)
        case .rcpt(let path, let parameters):
            return rcpt(path, parameters)
        case .data:
            return data()
        case .bdat(let size, let last):
            return bdat(size: size, last: last)
        case .rset:
            return resetTransaction(then: .reply(.ok))
        case .noop:
            return .reply(.ok)
        case .quit:
            state = .closed
            return .replyAndClose(SMTPReply(221, "2.0.0", "Bye"))
        case .vrfy:
            return .reply(SMTPReply(252, "2.5.0", "Cannot VRFY user; send mail and it will be delivered or returned"))
        case .expn:
            return fail(SMTPReply(502, "5.5.1", "EXPN is not supported"))
        case .help:
            return .reply(SMTPReply(214, "2.0.0", "See the Missive documentation, docs/smtp.md"))
        case .startTLS:
            return startTLS()
        case .auth(let mechanism, let initial):
            return auth(mechanism, initial: initial)
        }
    }

    private func ehloReply() -> SMTPReply {
        var lines = [configuration.hostname, "PIPELINING", "SIZE \(configuration.maxMessageBytes)", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN"]
        if configuration.tlsAvailable, !secure { lines.append("STARTTLS") }
        if secure, principal == nil || principal == networkPrincipal { lines.append("AUTH PLAIN LOGIN") }
        return SMTPReply(code: 250, enhanced: nil, lines: lines)
    }

    /// Ends any transaction; a message being stored is discarded first.
    private mutating func resetTransaction(then action: Action) -> Action {
        let hadMessage: Bool = switch state {
        case .chunks: true
        default: false
        }
        state = .ready
        if hadMessage, case .reply(let reply) = action { return .discardMessage(reply) }
        return action
    }

    private mutating func mail(_ path: SMTPPath, _ parameters: SMTPCommand.MailParameters) -> Action {
        guard helo != nil else { return fail(SMTPReply(503, "5.5.1", "Send EHLO or HELO first")) }
        guard case .ready = state else { return fail(SMTPReply(503, "5.5.1", "Nested MAIL command")) }
        guard let principal else {
            return fail(configuration.tlsAvailable && !secure ? .tlsFirst : .authRequired)
        }
        if let size = parameters.size, size > configuration.maxMessageBytes {
            return fail(SMTPReply(552, "5.3.4", "Message size exceeds fixed limit of \(configuration.maxMessageBytes) bytes"))
        }
        guard !path.isNull else { return fail(SMTPReply(550, "5.7.1", "A null sender is not accepted here")) }
        guard path.isASCII || parameters.smtpUTF8 else { return fail(SMTPReply(553, "5.6.7", "Non-ASCII addresses require SMTPUTF8")) }
        state = .checkingSender(path, parameters)
        return .checkSender(path, principal)
    }

    /// The result of ``Action/checkSender(_:_:)``.
    public mutating func senderChecked(_ allowed: Bool) -> Action {
        guard case .checkingSender(let path, let parameters) = state else { return fail(.badSequence) }
        guard allowed else {
            state = .ready
            return fail(SMTPReply(553, "5.7.1", "Sender address rejected: not a verified sender domain of your organisation"))
        }
        state = .mail(SMTPTransaction(from: path, parameters: parameters))
        return .reply(SMTPReply(250, "2.1.0", "Sender ok"))
    }

    /// The hub cannot take a message now (admission control): `MAIL` is answered with the
    /// temporary `reply`, and the client may try again (not counted as a client error).
    public mutating func senderDeferred(_ reply: SMTPReply) -> Action {
        guard case .checkingSender = state else { return fail(.badSequence) }
        state = .ready
        return .reply(reply)
    }

    private mutating func rcpt(_ path: SMTPPath, _ parameters: SMTPCommand.RecipientParameters) -> Action {
        guard case .mail(let transaction) = state, let principal else { return fail(SMTPReply(503, "5.5.1", "Need MAIL before RCPT")) }
        guard transaction.recipients.count < configuration.maxRecipients else {
            return .reply(SMTPReply(452, "4.5.3", "Too many recipients"))
        }
        guard path.isASCII || transaction.parameters.smtpUTF8 else { return fail(SMTPReply(553, "5.6.7", "Non-ASCII addresses require SMTPUTF8")) }
        state = .checkingRecipient(transaction, path, parameters)
        return .checkRecipient(path, principal)
    }

    /// The result of ``Action/checkRecipient(_:_:)``: a target, or the refusal to send.
    public mutating func recipientChecked(_ result: Result<SMTPRecipientTarget, SMTPRejection>) -> Action {
        guard case .checkingRecipient(var transaction, let path, let parameters) = state else { return fail(.badSequence) }
        switch result {
        case .success(let target):
            transaction.recipients.append(SMTPAcceptedRecipient(path: path, parameters: parameters, target: target))
            state = .mail(transaction)
            return .reply(SMTPReply(250, "2.1.5", "Recipient ok"))
        case .failure(let rejection):
            state = .mail(transaction)
            return fail(rejection.reply)
        }
    }

    private mutating func data() -> Action {
        guard case .mail(let transaction) = state else {
            errors += 1
            return .replyAndResume(SMTPReply(503, "5.5.1", "Need MAIL and RCPT before DATA"))
        }
        guard !transaction.recipients.isEmpty else {
            errors += 1
            return .replyAndResume(SMTPReply(554, "5.5.1", "No valid recipients"))
        }
        state = .data(transaction)
        return .beginData(SMTPReply(354, nil, "End data with <CR><LF>.<CR><LF>"))
    }

    /// Content bytes arrived (DATA or BDAT); false once over the size limit (stop storing).
    public mutating func contentReceived(_ count: Int) -> Bool {
        switch state {
        case .data(var transaction):
            transaction.bytes += count
            transaction.oversized = transaction.oversized || transaction.bytes > configuration.maxMessageBytes
            state = .data(transaction)
            return !transaction.oversized
        case .chunks(var transaction, let failure, let last):
            transaction.bytes += count
            transaction.oversized = transaction.oversized || transaction.bytes > configuration.maxMessageBytes
            state = .chunks(transaction, failure: failure, last: last)
            return !transaction.oversized && failure == nil
        case .greeting, .ready, .checkingSender, .mail, .checkingRecipient, .discardingChunk, .committing, .authPlain, .authLoginUsername, .authLoginPassword, .checkingCredentials, .startingTLS, .closed:
            return false
        }
    }

    /// The end of DATA (`CRLF.CRLF`).
    public mutating func dataEnded() -> Action {
        guard case .data(let transaction) = state, let principal else { return fail(.badSequence) }
        return end(transaction, principal)
    }

    private mutating func end(_ transaction: SMTPTransaction, _ principal: SMTPPrincipal) -> Action {
        if transaction.oversized {
            state = .ready
            return .discardMessage(SMTPReply(552, "5.3.4", "Message size exceeds fixed limit of \(configuration.maxMessageBytes) bytes"))
        }
        state = .committing(transaction)
        return .commit(transaction, principal)
    }

    /// The result of ``Action/commit(_:_:)``: `250` with the envelope ids, or the refusal.
    public mutating func committed(_ reply: SMTPReply) -> Action {
        guard case .committing = state else { return fail(.badSequence) }
        state = .ready
        return .reply(reply)
    }

    private mutating func bdat(size: Int, last: Bool) -> Action {
        switch state {
        case .mail(let transaction) where !transaction.recipients.isEmpty:
            state = .chunks(transaction, failure: nil, last: last)
            return .readChunk(discard: false)
        case .chunks(let transaction, let failure, _):
            state = .chunks(transaction, failure: failure, last: last)
            return .readChunk(discard: failure != nil)
        case .mail(let transaction):
            // RFC 3030 §2: the chunk is read and thrown away, then refused.
            state = .discardingChunk(SMTPReply(554, "5.5.1", "No valid recipients"), resume: .mail(transaction))
            return .readChunk(discard: true)
        case .ready:
            state = .discardingChunk(SMTPReply(503, "5.5.1", "Need MAIL and RCPT before BDAT"), resume: .ready)
            return .readChunk(discard: true)
        case .greeting, .checkingSender, .checkingRecipient, .data, .discardingChunk, .committing, .authPlain, .authLoginUsername, .authLoginPassword, .checkingCredentials, .startingTLS, .closed:
            return fail(.badSequence)
        }
    }

    /// The chunk announced by the last BDAT was read completely.
    public mutating func chunkEnded(size: Int) -> Action {
        switch state {
        case .discardingChunk(let reply, let resume):
            state = switch resume {
            case .ready: .ready
            case .mail(let transaction): .mail(transaction)
            }
            return fail(reply)
        case .chunks(_, let failure?, let last):
            guard last else { return .reply(failure) }
            state = .ready
            return .discardMessage(failure)
        case .chunks(let transaction, nil, let last):
            guard last else { return .reply(SMTPReply(250, "2.0.0", "\(size) octets received")) }
            guard let principal else { return fail(.badSequence) }
            return end(transaction, principal)
        case .greeting, .ready, .checkingSender, .mail, .checkingRecipient, .data, .committing, .authPlain, .authLoginUsername, .authLoginPassword, .checkingCredentials, .startingTLS, .closed:
            return fail(.badSequence)
        }
    }

    /// Storing the message failed while content was still arriving (e.g. malformed MIME):
    /// later BDAT chunks are discarded and the transaction ends with `reply`.
    public mutating func contentRefused(_ reply: SMTPReply) {
        if case .chunks(let transaction, nil, let last) = state {
            state = .chunks(transaction, failure: reply, last: last)
        }
    }

    // MARK: STARTTLS

    private mutating func startTLS() -> Action {
        guard configuration.tlsAvailable else { return fail(.replyAndResume(SMTPReply(502, "5.5.1", "STARTTLS is not available"))) }
        guard !secure else { return fail(.replyAndResume(SMTPReply(503, "5.5.1", "TLS is already active"))) }
        guard case .ready = state else { return fail(.replyAndResume(.badSequence)) }
        state = .startingTLS
        return .startTLS(SMTPReply(220, "2.0.0", "Ready to start TLS"))
    }

    /// TLS is up: the session starts over (RFC 3207 §4.2), the client must say EHLO again.
    public mutating func tlsStarted() {
        secure = true
        helo = nil
        principal = networkPrincipal
        state = .ready
    }

    // MARK: AUTH (RFC 4954)

    private mutating func auth(_ mechanism: String, initial: String?) -> Action {
        guard helo != nil else { return fail(SMTPReply(503, "5.5.1", "Send EHLO first")) }
        guard secure else { return fail(configuration.tlsAvailable ? .tlsFirst : SMTPReply(502, "5.5.1", "AUTH is not available on this connection")) }
        guard principal == nil || principal == networkPrincipal, case .ready = state else { return fail(SMTPReply(503, "5.5.1", "Already authenticated or in a transaction")) }
        switch mechanism {
        case "PLAIN":
            guard let initial else {
                state = .authPlain
                return .reply(SMTPReply(334, nil, ""))
            }
            return authPlainResponse(Array(initial.utf8))
        case "LOGIN":
            if let initial { return authLoginUsername(Array(initial.utf8)) }
            state = .authLoginUsername
            return .reply(SMTPReply(334, nil, "VXNlcm5hbWU6"))
        default:
            return fail(SMTPReply(504, "5.5.4", "Unrecognized authentication mechanism"))
        }
    }

    private mutating func authPlainResponse(_ line: [UInt8]) -> Action {
        guard let decoded = authDecode(line) else { return authAborted(line) }
        let parts = decoded.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3, let username = String(validating: parts[1], as: UTF8.self), let password = String(validating: parts[2], as: UTF8.self),
              !username.isEmpty, !password.isEmpty
        else {
            state = .ready
            return fail(SMTPReply(501, "5.5.2", "Malformed PLAIN response"))
        }
        state = .checkingCredentials
        return .checkCredentials(username: username, password: password)
    }

    private mutating func authLoginUsername(_ line: [UInt8]) -> Action {
        guard let decoded = authDecode(line), let username = String(validating: decoded, as: UTF8.self), !username.isEmpty else { return authAborted(line) }
        state = .authLoginPassword(username: username)
        return .reply(SMTPReply(334, nil, "UGFzc3dvcmQ6"))
    }

    private mutating func authLoginPassword(_ line: [UInt8], username: String) -> Action {
        guard let decoded = authDecode(line), let password = String(validating: decoded, as: UTF8.self), !password.isEmpty else { return authAborted(line) }
        state = .checkingCredentials
        return .checkCredentials(username: username, password: password)
    }

    private func authDecode(_ line: [UInt8]) -> [UInt8]? {
        guard line.count <= 2048, line != [42] else { return nil }
        return base64Decoded(line)
    }

    private mutating func authAborted(_ line: [UInt8]) -> Action {
        state = .ready
        if line == [42] { return fail(SMTPReply(501, "5.0.0", "Authentication cancelled")) }
        return fail(SMTPReply(501, "5.5.2", "Cannot decode the response"))
    }

    /// The result of ``Action/checkCredentials(username:password:)``.
    public mutating func credentialsChecked(_ result: SMTPPrincipal?) -> Action {
        guard case .checkingCredentials = state else { return fail(.badSequence) }
        state = .ready
        guard let result else {
            authFailures += 1
            if authFailures >= configuration.maxAuthFailures {
                state = .closed
                return .replyAndClose(SMTPReply(421, "4.7.0", "Too many failed authentications, closing transmission channel"))
            }
            return .reply(.authInvalid)
        }
        principal = result
        return .reply(SMTPReply(235, "2.7.0", "Authentication successful"))
    }

    // MARK: Errors

    private mutating func fail(_ reply: SMTPReply) -> Action {
        fail(.reply(reply))
    }

    private mutating func fail(_ action: Action) -> Action {
        errors += 1
        if errors > configuration.maxErrors {
            state = .closed
            return .replyAndClose(.tooManyErrors)
        }
        return action
    }
}

/// A refusal of a recipient (or a message), in SMTP terms.
public struct SMTPRejection: Error, Sendable, Equatable {
    public var reply: SMTPReply
    public init(_ reply: SMTPReply) {
        self.reply = reply
    }
}

/// RFC 4648 base64 (for AUTH); nil when malformed.
func base64Decoded(_ bytes: [UInt8]) -> [UInt8]? {
    guard !bytes.isEmpty else { return [] }
    guard let data = Data(base64Encoded: Data(bytes)) else { return nil }
    return Array(data)
}

import Foundation
