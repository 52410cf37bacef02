import Foundation
import Logging
import MissiveCore
import MissiveMIME
@testable import MissiveSMTP
import MissiveStore
import Testing

/// The SMTP adapter's decisions against a real store and blob folder.
@Suite("SMTP policy, intake and notifications")
struct SMTPIntakeTests {
    struct Fixture {
        let folder: URL
        let store: SQLiteStore
        let blobs: FileBlobStore
        let organisation: CreatedOrganisation
        let policy: SMTPPolicy
        var principal: SMTPPrincipal { SMTPPrincipal(organisation: organisation.organisationID, principal: organisation.keyID.rawValue, mode: .test) }

        init() async throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("missive-smtp-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            store = SQLiteStore(database: try MissiveDatabase(path: folder.appendingPathComponent("missive.sqlite").path), sealer: .ephemeral(), logger: Logger(label: "test"))
            blobs = try FileBlobStore(root: folder.appendingPathComponent("blobs"), processingKey: .ephemeral())
            organisation = try await store.createOrganisation(name: "Beispiel AG", mode: .test)
            try await store.addSenderDomain("beispiel.example", organisation: organisation.organisationID)
            try await store.setAlias("k-4711", recipient: Recipient(postal: PostalAddress(name: "Dora Papier", street: "Postgasse", houseNumber: "5", postcode: "4051", town: "Basel")), organisation: organisation.organisationID)
            policy = SMTPPolicy(hubDomain: "Letters.Example", credentials: store, directory: store)
        }

        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    static func path(_ address: String) -> SMTPPath {
        let at = address.lastIndex(of: "@")!
        return SMTPPath(localPart: String(address[..<at]), domain: String(address[address.index(after: at)...]).lowercased())
    }

    static let pdf: [UInt8] = Array("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".utf8)

    static func message(subject: String = "=?utf-8?q?Rechnung_M=C3=A4rz?=", extraHeaders: String = "", attachment: [UInt8] = pdf, type: String = "application/pdf") -> [UInt8] {
        let encoded = Data(attachment).base64EncodedString(options: .lineLength76Characters).replacingOccurrences(of: "\n", with: "\r\n")
        let text = "From: ERP <letters@beispiel.example>\r\nTo: k-4711@letters.example\r\nSubject: \(subject)\r\nMessage-ID: <abc-1@beispiel.example>\r\nMIME-Version: 1.0\r\n\(extraHeaders)Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee attachment.\r\n--b1\r\nContent-Type: \(type); name=\"rechnung.pdf\"\r\nContent-Disposition: attachment; filename=\"rechnung.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\(encoded)\r\n--b1--\r\n"
        return Array(text.utf8)
    }

    @Test("credentials: organisation id + API key; a wrong pairing is refused")
    func authenticate() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        #expect(try await fixture.policy.authenticate(username: fixture.organisation.organisationID.rawValue, password: fixture.organisation.apiKey) == fixture.principal)
        #expect(try await fixture.policy.authenticate(username: "org_other", password: fixture.organisation.apiKey) == nil)
        #expect(try await fixture.policy.authenticate(username: fixture.organisation.organisationID.rawValue, password: "mk_test_wrong") == nil)
    }

    @Test("senders: only the organisation's verified domains")
    func senders() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        #expect(try await fixture.policy.maySend(from: Self.path("letters@beispiel.example"), principal: fixture.principal))
        #expect(try await fixture.policy.maySend(from: Self.path("x@other.example"), principal: fixture.principal) == false)
        let other = try await fixture.store.createOrganisation(name: "Andere AG", mode: .test)
        let otherPrincipal = SMTPPrincipal(organisation: other.organisationID, principal: other.keyID.rawValue, mode: .test)
        #expect(try await fixture.policy.maySend(from: Self.path("letters@beispiel.example"), principal: otherPrincipal) == false)
        await #expect(throws: MissiveError.self) { try await fixture.store.addSenderDomain("beispiel.example", organisation: other.organisationID) }
    }

    @Test("recipient scheme: alias, UID, eBill id, ePost address, message, and refusals")
    func recipients() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        func resolve(_ address: String) async throws -> Result<SMTPRecipientTarget, SMTPRejection> {
            try await fixture.policy.resolve(Self.path(address), principal: fixture.principal)
        }
        guard case .success(.recipient(let alias)) = try await resolve("K-4711@letters.example") else { Issue.record("alias"); return }
        #expect(alias.postal?.town == "Basel")
        #expect(try await resolve("che-123.456.789@letters.example") == .success(.recipient(Recipient(uid: "CHE-123.456.789"))))
        #expect(try await resolve("41100000000000017@letters.example") == .success(.recipient(Recipient(eBillID: "41100000000000017"))))
        #expect(try await resolve("anna.muster=epost.example@letters.example") == .success(.recipient(Recipient(ePostAddress: "anna.muster@epost.example"))))
        #expect(try await resolve("letters@letters.example") == .success(.fromMessage))
        guard case .failure(let unknown) = try await resolve("nobody@letters.example") else { Issue.record("unknown accepted"); return }
        #expect(unknown.reply.code == 550 && unknown.reply.enhanced == "5.1.1")
        guard case .failure(let relay) = try await resolve("someone@gmail.example") else { Issue.record("relay accepted"); return }
        #expect(relay.reply.code == 550 && relay.reply.enhanced == "5.7.1")
        // Another organisation's aliases are not visible.
        let other = try await fixture.store.createOrganisation(name: "Andere AG", mode: .test)
        let otherPrincipal = SMTPPrincipal(organisation: other.organisationID, principal: other.keyID.rawValue, mode: .test)
        guard case .failure = try await fixture.policy.resolve(Self.path("k-4711@letters.example"), principal: otherPrincipal) else { Issue.record("alias leaked across tenants"); return }
    }

    @Test("a message streams its PDF into the blob store and becomes one draft per recipient", arguments: [1, 7, 64, 100_000])
    func intake(_ chunk: Int) async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        var intake = SMTPMessageIntake(blobs: fixture.blobs, limits: .init(maxDocumentBytes: 1_000_000, maxAttachments: 20))
        let bytes = Self.message(extraHeaders: "X-Missive-Reference: R-2026-1\r\n")
        var index = 0
        while index < bytes.count {
            await intake.feed(Array(bytes[index..<min(bytes.count, index + chunk)]))
            index += chunk
        }
        guard case .success(let read) = await intake.finish() else { Issue.record("not read"); return }
        #expect(read.documents.count == 1)
        #expect(try await fixture.blobs.read(read.documents[0].storageKey) == Data(Self.pdf))
        var transaction = SMTPTransaction(from: Self.path("letters@beispiel.example"), parameters: .init())
        transaction.parameters.envelopeID = "QQ314159"
        var parameters = SMTPCommand.RecipientParameters()
        parameters.notify = ["SUCCESS", "FAILURE"]
        transaction.recipients = [
            SMTPAcceptedRecipient(path: Self.path("k-4711@letters.example"), parameters: parameters, target: .recipient(Recipient(uid: "CHE-123.456.789"))),
            SMTPAcceptedRecipient(path: Self.path("che-987.654.321@letters.example"), parameters: .init(), target: .recipient(Recipient(uid: "CHE-987.654.321"))),
        ]
        guard case .success(let drafts) = SMTPEnvelopeMapping.drafts(read, transaction: transaction, hostname: "letters.example", arrival: Date()) else { Issue.record("no drafts"); return }
        #expect(drafts.count == 2)
        let first = drafts[0].1
        #expect(first.ingress == .smtp)
        #expect(first.title == "Rechnung März")
        #expect(first.reference == "R-2026-1")
        #expect(first.ingressReference == "abc-1@beispiel.example k-4711@letters.example")
        #expect(drafts[1].1.ingressReference != first.ingressReference)
        #expect(first.mailReturn?.returnPath == "letters@beispiel.example")
        #expect(first.mailReturn?.notify == ["SUCCESS", "FAILURE"])
        #expect(first.mailReturn?.envelopeID == "QQ314159")
        #expect(first.mailReturn?.headers?.contains("Subject: =?utf-8?q?Rechnung_M=C3=A4rz?=") == true)
        #expect(first.fingerprint == drafts[1].1.fingerprint || first.recipient != drafts[1].1.recipient)
    }

    @Test("refused before 250: no PDF, a broken PDF, malformed MIME, no recipient for letters@")
    func refusals() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        func read(_ bytes: [UInt8]) async -> Result<ReadMessage, SMTPRejection> {
            var intake = SMTPMessageIntake(blobs: fixture.blobs, limits: .init(maxDocumentBytes: 1_000_000, maxAttachments: 20))
            await intake.feed(bytes)
            return await intake.finish()
        }
        guard case .failure(let noPDF) = await read(Self.message(type: "text/plain")) else { Issue.record("no PDF accepted"); return }
        #expect(noPDF.reply.code == 554)
        guard case .failure(let broken) = await read(Self.message(attachment: Array("not a pdf at all".utf8))) else { Issue.record("broken PDF accepted"); return }
        #expect(broken.reply.code == 554)
        let unterminated = Array("Subject: x\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4".utf8)
        guard case .failure(let malformed) = await read(unterminated) else { Issue.record("malformed MIME accepted"); return }
        #expect(malformed.reply.code == 554 && malformed.reply.enhanced == "5.6.0")

        guard case .success(let message) = await read(Self.message()) else { Issue.record("good message refused"); return }
        var transaction = SMTPTransaction(from: Self.path("letters@beispiel.example"), parameters: .init())
        transaction.recipients = [SMTPAcceptedRecipient(path: Self.path("letters@letters.example"), parameters: .init(), target: .fromMessage)]
        guard case .failure(let missing) = SMTPEnvelopeMapping.drafts(message, transaction: transaction, hostname: "h", arrival: Date()) else { Issue.record("no recipient accepted"); return }
        #expect(missing.reply.enhanced == "5.1.3")
    }

    @Test("letters@ takes the recipient from X-Missive-Recipient")
    func headerRecipient() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        var intake = SMTPMessageIntake(blobs: fixture.blobs, limits: .init(maxDocumentBytes: 1_000_000, maxAttachments: 20))
        await intake.feed(Self.message(extraHeaders: "X-Missive-Recipient: {\"eBillId\": \"41100000000000017\"}\r\nX-Missive-Kind: invoice\r\n"))
        guard case .success(let message) = await intake.finish() else { Issue.record("not read"); return }
        var transaction = SMTPTransaction(from: Self.path("letters@beispiel.example"), parameters: .init())
        transaction.recipients = [SMTPAcceptedRecipient(path: Self.path("letters@letters.example"), parameters: .init(), target: .fromMessage)]
        guard case .success(let drafts) = SMTPEnvelopeMapping.drafts(message, transaction: transaction, hostname: "h", arrival: Date()) else { Issue.record("refused"); return }
        #expect(drafts[0].1.recipient == Recipient(eBillID: "41100000000000017"))
        #expect(drafts[0].1.kind == .invoice)
    }

    @Test("letters@ takes recipient, kind, title and policy from a missive.json part")
    func manifest() async throws {
        let fixture = try await Fixture()
        defer { fixture.remove() }
        let json = #"{"recipient": {"postal": {"name": "Dora Papier", "street": "Postgasse", "houseNumber": "5", "postcode": "4051", "town": "Basel"}}, "kind": "contract", "title": "Vertrag 2027", "reference": "V-1", "policy": {"mode": "physicalOnly"}}"#
        let text = "From: letters@beispiel.example\r\nSubject: ignored\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: application/json; name=\"missive.json\"\r\nContent-Disposition: attachment; filename=\"missive.json\"\r\n\r\n\(json)\r\n--m\r\nContent-Type: application/octet-stream; name=\"vertrag.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\(Data(Self.pdf).base64EncodedString())\r\n--m--\r\n"
        var intake = SMTPMessageIntake(blobs: fixture.blobs, limits: .init(maxDocumentBytes: 1_000_000, maxAttachments: 20))
        await intake.feed(Array(text.utf8))
        guard case .success(let message) = await intake.finish() else { Issue.record("not read"); return }
        #expect(message.documents.first?.filename == "vertrag.pdf")
        var transaction = SMTPTransaction(from: Self.path("letters@beispiel.example"), parameters: .init())
        transaction.recipients = [SMTPAcceptedRecipient(path: Self.path("letters@letters.example"), parameters: .init(), target: .fromMessage)]
        guard case .success(let drafts) = SMTPEnvelopeMapping.drafts(message, transaction: transaction, hostname: "h", arrival: Date()) else { Issue.record("refused"); return }
        let draft = drafts[0].1
        #expect(draft.recipient.postal?.name == "Dora Papier")
        #expect(draft.kind == .contract)
        #expect(draft.title == "Vertrag 2027")
        #expect(draft.reference == "V-1")
        #expect(draft.policy.mode == .physicalOnly)
        #expect(draft.ingressReference == nil)  // no Message-ID: no idempotency reference

        var broken = SMTPMessageIntake(blobs: fixture.blobs, limits: .init(maxDocumentBytes: 1_000_000, maxAttachments: 20))
        await broken.feed(Array(text.replacingOccurrences(of: json, with: "{not json").utf8))
        guard case .success(let brokenMessage) = await broken.finish() else { Issue.record("not read"); return }
        guard case .failure(let refusal) = SMTPEnvelopeMapping.drafts(brokenMessage, transaction: transaction, hostname: "h", arrival: Date()) else { Issue.record("bad manifest accepted"); return }
        #expect(refusal.reply.code == 554)
    }

    @Test("a notification is an RFC 3464 report our own MIME reader can read back")
    func dsn() throws {
        let mailReturn = MailReturn(returnPath: "letters@beispiel.example", notify: nil, envelopeID: "QQ314159", returnContent: "HDRS", originalRecipient: "rfc822;k-4711@letters.example", finalRecipient: "k-4711@letters.example", messageID: "abc-1@beispiel.example", subject: "Rechnung März", headers: "Subject: Rechnung\r\nMessage-ID: <abc-1@beispiel.example>\r\n", arrivalDate: Date(timeIntervalSince1970: 1_780_000_000), reportingMTA: "letters.example")
        let event = StatusEvent(envelopeID: EnvelopeID(unchecked: "env_01KB0000000000000000000001"), organisationID: OrganisationID(unchecked: "org_01KB0000000000000000000001"), type: .failed, at: Date(timeIntervalSince1970: 1_780_000_100), reason: Reason(code: "unreachable", text: "No channel reaches the recipient."))
        #expect(mailReturn.wants(.failed) && !mailReturn.wants(.delivered))
        let mail = OutgoingMail(id: DeliveryID(unchecked: "msg_01KB0000000000000000000001"), organisationID: event.organisationID, envelopeID: event.envelopeID, event: event, mailReturn: mailReturn, attemptCount: 0, lease: "l")
        let bytes = DSNComposer.message(for: mail, now: Date())
        var reader = MIMEStreamReader()
        var headers: MIMEHeaders?
        var parts: [(String, String)] = []
        var current = ""
        var type = ""
        let sink: (MIMEEvent) throws -> Void = { event in
            switch event {
            case .messageHeaders(let h): headers = h
            case .partStart(let part): type = part.contentType.mediaType; current = ""
            case .bodyBytes(let b): current += String(decoding: b, as: UTF8.self)
            case .partEnd: parts.append((type, current))
            }
        }
        try reader.feed(bytes, sink)
        try reader.finish(sink)
        #expect(headers?.contentType.mediaType == "multipart/report")
        #expect(headers?.contentType.parameters["report-type"] == "delivery-status")
        #expect(headers?.first("To") == "letters@beispiel.example")
        #expect(parts.map(\.0) == ["text/plain", "message/delivery-status", "text/rfc822-headers"])
        let status = parts[1].1
        for line in ["Reporting-MTA: dns; letters.example", "Original-Envelope-Id: QQ314159", "Final-Recipient: rfc822;k-4711@letters.example", "Original-Recipient: rfc822;k-4711@letters.example", "Action: failed", "Status: 5.1.1"] {
            #expect(status.contains(line), "missing \(line)")
        }
        #expect(parts[0].1.contains("env_01KB0000000000000000000001"))
    }
}
