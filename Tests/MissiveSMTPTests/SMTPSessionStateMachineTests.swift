import Foundation
import MissiveCore
import MissiveSMTP
import Testing

@Suite("SMTP session state machine (pure)")
struct SMTPSessionStateMachineTests {
    typealias Machine = SMTPSessionStateMachine
    static let principal = SMTPPrincipal(organisation: OrganisationID(unchecked: "org_01KB0000000000000000000001"), principal: "key_1", mode: .test)

    static func machine(tls: Bool = true, maxMessageBytes: Int = 1000, network: SMTPPrincipal? = nil) -> Machine {
        var machine = Machine(configuration: .init(hostname: "letters.example", maxMessageBytes: maxMessageBytes, maxRecipients: 2, tlsAvailable: tls), networkPrincipal: network)
        _ = machine.connected()
        return machine
    }

    static func line(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func code(_ action: Machine.Action) -> Int? {
        switch action {
        case .reply(let reply), .replyAndClose(let reply), .replyAndResume(let reply), .startTLS(let reply), .beginData(let reply), .discardMessage(let reply): reply.code
        default: nil
        }
    }

    /// EHLO, STARTTLS, EHLO, AUTH PLAIN: an authenticated, encrypted session.
    static func authenticated() -> Machine {
        var machine = machine()
        _ = machine.command(line("EHLO client.example"))
        #expect(code(machine.command(line("STARTTLS"))) == 220)
        machine.tlsStarted()
        _ = machine.command(line("EHLO client.example"))
        let plain = Data("\0org_1\0mk_test_x".utf8).base64EncodedString()
        #expect(machine.command(line("AUTH PLAIN \(plain)")) == .checkCredentials(username: "org_1", password: "mk_test_x"))
        #expect(code(machine.credentialsChecked(principal)) == 235)
        return machine
    }

    /// MAIL and one RCPT accepted.
    static func withRecipient() -> Machine {
        var machine = authenticated()
        guard case .checkSender = machine.command(line("MAIL FROM:<letters@demo.example> SIZE=100")) else {
            Issue.record("MAIL did not ask to check the sender")
            return machine
        }
        #expect(code(machine.senderChecked(true)) == 250)
        guard case .checkRecipient(let path, _) = machine.command(line("RCPT TO:<physical@letters.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;physical@letters.example")) else {
            Issue.record("RCPT did not ask to check the recipient")
            return machine
        }
        #expect(path.localPart == "physical")
        #expect(code(machine.recipientChecked(.success(.recipient(Recipient(uid: "CHE-123.456.789"))))) == 250)
        return machine
    }

    @Test("the greeting is 220; EHLO advertises the extensions, STARTTLS only before TLS and AUTH only after it")
    func ehlo() {
        var machine = Machine(configuration: .init(hostname: "letters.example", tlsAvailable: true))
        #expect(Self.code(machine.connected()) == 220)
        guard case .reply(let before) = machine.command(Self.line("EHLO client.example")) else { Issue.record("no EHLO reply"); return }
        #expect(before.lines.contains("STARTTLS"))
        #expect(!before.lines.contains { $0.hasPrefix("AUTH") })
        for extensionName in ["PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN"] { #expect(before.lines.contains(extensionName)) }
        #expect(before.lines.contains { $0.hasPrefix("SIZE ") })
        _ = machine.command(Self.line("STARTTLS"))
        machine.tlsStarted()
        guard case .reply(let after) = machine.command(Self.line("EHLO client.example")) else { Issue.record("no EHLO reply"); return }
        #expect(!after.lines.contains("STARTTLS"))
        #expect(after.lines.contains("AUTH PLAIN LOGIN"))
        #expect(after.wire.hasPrefix("250-letters.example\r\n"))
        #expect(after.wire.hasSuffix("250 AUTH PLAIN LOGIN\r\n"))
    }

    @Test("MAIL needs EHLO and authentication; AUTH needs TLS")
    func authRequired() {
        var machine = Self.machine()
        #expect(Self.code(machine.command(Self.line("MAIL FROM:<a@b.example>"))) == 503)
        _ = machine.command(Self.line("EHLO c"))
        #expect(machine.command(Self.line("MAIL FROM:<a@b.example>")) == .reply(SMTPReply(530, "5.7.0", "Must issue a STARTTLS command first")))
        #expect(Self.code(machine.command(Self.line("AUTH PLAIN AGZvbwBiYXI="))) == 530)
        // Without TLS configured there is no AUTH at all.
        var plain = Self.machine(tls: false)
        _ = plain.command(Self.line("EHLO c"))
        #expect(Self.code(plain.command(Self.line("MAIL FROM:<a@b.example>"))) == 530)
        #expect(Self.code(plain.command(Self.line("STARTTLS"))) == 502)
    }

    @Test("an allowlisted network sends without AUTH")
    func allowlisted() {
        var machine = Self.machine(tls: false, network: Self.principal)
        _ = machine.command(Self.line("HELO erp.example"))
        #expect(machine.command(Self.line("MAIL FROM:<a@b.example>")) == .checkSender(SMTPPath(localPart: "a", domain: "b.example"), Self.principal))
    }

    @Test("AUTH LOGIN asks for user and password; wrong credentials are 535, and the third failure closes")
    func authLogin() {
        var machine = Self.machine()
        _ = machine.command(Self.line("EHLO c"))
        _ = machine.command(Self.line("STARTTLS"))
        machine.tlsStarted()
        _ = machine.command(Self.line("EHLO c"))
        for attempt in 1...3 {
            #expect(machine.command(Self.line("AUTH LOGIN")) == .reply(SMTPReply(334, nil, "VXNlcm5hbWU6")))
            #expect(machine.command(Self.line(Data("org_1".utf8).base64EncodedString())) == .reply(SMTPReply(334, nil, "UGFzc3dvcmQ6")))
            #expect(machine.command(Self.line(Data("wrong".utf8).base64EncodedString())) == .checkCredentials(username: "org_1", password: "wrong"))
            let answer = machine.credentialsChecked(nil)
            if attempt < 3 {
                #expect(answer == .reply(SMTPReply(535, "5.7.8", "Authentication credentials invalid")))
            } else {
                guard case .replyAndClose(let reply) = answer else { Issue.record("third failure did not close"); return }
                #expect(reply.code == 421)
            }
        }
    }

    @Test("AUTH: cancel with *, bad base64, unknown mechanism")
    func authErrors() {
        var machine = Self.machine()
        _ = machine.command(Self.line("EHLO c"))
        _ = machine.command(Self.line("STARTTLS"))
        machine.tlsStarted()
        _ = machine.command(Self.line("EHLO c"))
        _ = machine.command(Self.line("AUTH PLAIN"))
        #expect(Self.code(machine.command(Self.line("*"))) == 501)
        #expect(Self.code(machine.command(Self.line("AUTH PLAIN !!!notbase64"))) == 501)
        #expect(Self.code(machine.command(Self.line("AUTH CRAM-MD5"))) == 504)
    }

    @Test("a busy hub defers MAIL with a 4xx; the client may try again at once, and it is not counted as an error")
    func senderDeferred() {
        var machine = Self.authenticated()
        for _ in 0..<30 {  // more than maxErrors (20): deferrals never close the session
            guard case .checkSender = machine.command(Self.line("MAIL FROM:<letters@demo.example>")) else {
                Issue.record("MAIL did not ask to check the sender")
                return
            }
            #expect(machine.senderDeferred(SMTPReply(451, "4.3.2", "Busy")) == .reply(SMTPReply(451, "4.3.2", "Busy")))
        }
        // No transaction was opened by a deferred MAIL.
        #expect(Self.code(machine.command(Self.line("RCPT TO:<x@letters.example>"))) == 503)
        _ = machine.command(Self.line("MAIL FROM:<letters@demo.example>"))
        #expect(Self.code(machine.senderChecked(true)) == 250)
    }

    @Test("sender and recipient checks: refusals keep the session usable")
    func checks() {
        var machine = Self.authenticated()
        _ = machine.command(Self.line("MAIL FROM:<letters@foreign.example>"))
        #expect(Self.code(machine.senderChecked(false)) == 553)
        #expect(Self.code(machine.command(Self.line("RCPT TO:<x@letters.example>"))) == 503)
        _ = machine.command(Self.line("MAIL FROM:<letters@demo.example>"))
        _ = machine.senderChecked(true)
        _ = machine.command(Self.line("RCPT TO:<x@elsewhere.example>"))
        #expect(Self.code(machine.recipientChecked(.failure(SMTPRejection(SMTPReply(550, "5.7.1", "Relaying denied"))))) == 550)
        #expect(machine.command(Self.line("DATA")) == .replyAndResume(SMTPReply(554, "5.5.1", "No valid recipients")))
        #expect(Self.code(machine.command(Self.line("RSET"))) == 250)
    }

    @Test("DATA: 354, content counted, commit at the end, then ready for the next message")
    func data() {
        var machine = Self.withRecipient()
        #expect(Self.code(machine.command(Self.line("DATA"))) == 354)
        #expect(machine.inTransaction)
        let keeps = machine.contentReceived(500)
        #expect(keeps)
        guard case .commit(let transaction, let principal) = machine.dataEnded() else { Issue.record("no commit"); return }
        #expect(principal == Self.principal)
        #expect(transaction.recipients.count == 1)
        #expect(transaction.recipients[0].parameters.notify == ["SUCCESS", "FAILURE"])
        #expect(transaction.recipients[0].parameters.originalRecipient == "rfc822;physical@letters.example")
        #expect(transaction.parameters.size == 100)
        #expect(Self.code(machine.committed(SMTPReply(250, "2.0.0", "Ok: queued as env_1"))) == 250)
        #expect(!machine.inTransaction)
        #expect(Self.code(machine.command(Self.line("MAIL FROM:<letters@demo.example>"))) == nil)  // asks to check the sender again
    }

    @Test("content over the limit is read to its end and refused with 552; a SIZE over it is refused at MAIL")
    func size() {
        var machine = Self.withRecipient()
        _ = machine.command(Self.line("DATA"))
        let first = machine.contentReceived(800)
        let second = machine.contentReceived(800)
        #expect(first)
        #expect(!second)
        #expect(machine.dataEnded() == .discardMessage(SMTPReply(552, "5.3.4", "Message size exceeds fixed limit of 1000 bytes")))
        var other = Self.authenticated()
        #expect(Self.code(other.command(Self.line("MAIL FROM:<a@demo.example> SIZE=5000"))) == 552)
    }

    @Test("BDAT: chunks acknowledged with their size, LAST commits; BDAT without recipients is read and refused")
    func bdat() {
        var machine = Self.withRecipient()
        #expect(machine.command(Self.line("BDAT 10")) == .readChunk(discard: false))
        _ = machine.contentReceived(10)
        #expect(machine.chunkEnded(size: 10) == .reply(SMTPReply(250, "2.0.0", "10 octets received")))
        #expect(Self.code(machine.command(Self.line("DATA"))) == 503)  // no DATA inside a BDAT transaction
        #expect(machine.command(Self.line("BDAT 5 LAST")) == .readChunk(discard: false))
        _ = machine.contentReceived(5)
        guard case .commit = machine.chunkEnded(size: 5) else { Issue.record("BDAT LAST did not commit"); return }

        var fresh = Self.authenticated()
        #expect(fresh.command(Self.line("BDAT 3")) == .readChunk(discard: true))
        #expect(Self.code(fresh.chunkEnded(size: 3)) == 503)
    }

    @Test("RSET in a BDAT transaction throws the message away")
    func rsetDiscards() {
        var machine = Self.withRecipient()
        _ = machine.command(Self.line("BDAT 4"))
        _ = machine.chunkEnded(size: 4)
        #expect(machine.command(Self.line("RSET")) == .discardMessage(SMTPReply(250, "2.0.0", "Ok")))
    }

    @Test("out-of-order and unknown commands are errors; too many close the session")
    func errors() {
        var machine = Self.machine()
        #expect(Self.code(machine.command(Self.line("RCPT TO:<a@b.example>"))) == 503)
        #expect(machine.command(Self.line("FOO bar")) == .reply(SMTPReply(500, "5.5.1", "Command unrecognized")))
        #expect(Self.code(machine.command(Self.line("MAIL FROM:missing-brackets@x"))) == 501)
        #expect(Self.code(machine.lineTooLong()) == 500)
        var last: Machine.Action = .reply(.init(250, nil))
        for _ in 0..<30 { last = machine.command(Self.line("NOPE")) }
        guard case .replyAndClose(let reply) = last else { Issue.record("not closed"); return }
        #expect(reply.code == 421)
    }

    @Test("non-ASCII addresses need SMTPUTF8")
    func utf8() {
        var machine = Self.authenticated()
        #expect(Self.code(machine.command(Self.line("MAIL FROM:<brief@müller.example>"))) == 553)
        guard case .checkSender(let path, _) = machine.command(Self.line("MAIL FROM:<brief@müller.example> SMTPUTF8 BODY=8BITMIME")) else {
            Issue.record("SMTPUTF8 sender not checked")
            return
        }
        #expect(path.domain == "müller.example")
    }

    @Test("STARTTLS starts the session over; shutdown and timeout close with 421")
    func tlsAndShutdown() {
        var machine = Self.authenticated()
        #expect(Self.code(machine.command(Self.line("STARTTLS"))) == 503)  // already secure
        #expect(Self.code(machine.shutdown()) == 421)
        var idle = Self.machine()
        #expect(idle.timedOut() == .replyAndClose(SMTPReply(421, "4.4.2", "Timeout, closing transmission channel")))
        var quitting = Self.machine()
        #expect(quitting.command(Self.line("QUIT")) == .replyAndClose(SMTPReply(221, "2.0.0", "Bye")))
    }

    @Test("command parsing: paths, source routes, parameters, xtext")
    func parsing() throws {
        #expect(try SMTPCommand.parse(Self.line("mail from: <A@B.Example> BODY=8bitmime ENVID=abc+2Bdef RET=hdrs")) == .mail(SMTPPath(localPart: "A", domain: "b.example"), {
            var parameters = SMTPCommand.MailParameters()
            parameters.body = "8BITMIME"
            parameters.envelopeID = "abc+def"
            parameters.ret = "HDRS"
            return parameters
        }()))
        #expect(try SMTPCommand.parse(Self.line("RCPT TO:<@relay.example:x@y.example>")) == .rcpt(SMTPPath(localPart: "x", domain: "y.example"), .init()))
        #expect(try SMTPCommand.parse(Self.line("MAIL FROM:<>")) == .mail(SMTPPath(localPart: "", domain: ""), .init()))
        #expect(throws: SMTPCommandError.self) { try SMTPCommand.parse(Self.line("MAIL FROM:<a@b> FOO=1")) }
        #expect(throws: SMTPCommandError.self) { try SMTPCommand.parse(Self.line("RCPT TO:<a@b> NOTIFY=NEVER,SUCCESS")) }
        #expect(try SMTPCommand.parse(Self.line("BDAT 100 last")) == .bdat(size: 100, last: true))
    }
}
