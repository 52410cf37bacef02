import Foundation
import MissiveMIME
import Testing

@Suite("DeliveryStatusNotification (RFC 3464 / RFC 6522)")
struct DeliveryStatusNotificationTests {
    static let arrival = Date(timeIntervalSince1970: 1_764_410_400)  // Sat, 29 Nov 2025 10:00:00 +0000
    static let sent = Date(timeIntervalSince1970: 1_764_496_861)  // Sun, 30 Nov 2025 10:01:01 +0000

    static func sample(
        subject: String = "Unzustellbar: Rechnung",
        humanReadable: String = "Ihr Brief konnte nicht zugestellt werden.\nDer Empfänger ist unbekannt.",
        originalHeaders: String? = "From: anna@example.ch\nTo: letters@missive.example\nSubject: Rechnung\n"
    ) -> DeliveryStatusNotification {
        DeliveryStatusNotification(
            reportingMTA: "dns; missive.example",
            from: "MAILER-DAEMON@missive.example",
            to: "anna@example.ch",
            originalEnvelopeID: "QQ314159",
            arrivalDate: arrival,
            subject: subject,
            humanReadable: humanReadable,
            recipients: [
                .init(
                    originalRecipient: "rfc822;letters@missive.example", finalRecipient: "rfc822;letters@missive.example",
                    action: .failed, status: "5.1.1", diagnosticCode: "x-missive; returned: Adressat unbekannt",
                    lastAttemptDate: sent),
                .init(finalRecipient: "rfc822;copy@missive.example", action: .delivered, status: "2.0.0"),
            ],
            originalHeaders: originalHeaders,
            messageID: "dsn.1@missive.example",
            date: sent)
    }

    /// The header groups of a message/delivery-status body (separated by empty lines).
    private func groups(_ body: [UInt8]) throws -> [MIMEHeaders] {
        let text = String(decoding: body, as: UTF8.self)
        return try text.components(separatedBy: "\r\n\r\n")
            .filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
            .map { try MIMEHeaders(parsing: Array(($0 + "\r\n").utf8)) }
    }

    @Test("Rendered and read back: multipart/report with the three parts and their fields")
    func roundTrip() throws {
        let rendered = Self.sample().render()
        let message = try MIMEFixtures.read(rendered, chunkSize: 17)
        let headers = message.headers
        #expect(headers.first("Date") == "Sun, 30 Nov 2025 10:01:01 +0000")
        #expect(headers.from == "MAILER-DAEMON@missive.example")
        #expect(headers.first("To") == "anna@example.ch")
        #expect(headers.subject == "Unzustellbar: Rechnung")
        #expect(headers.messageID == "dsn.1@missive.example")
        #expect(headers.first("Auto-Submitted") == "auto-replied")
        #expect(headers.first("MIME-Version") == "1.0")
        #expect(headers.contentType.mediaType == "multipart/report")
        #expect(headers.contentType.parameters["report-type"] == "delivery-status")

        #expect(message.parts.map(\.part.contentType.mediaType) == ["text/plain", "message/delivery-status", "text/rfc822-headers"])
        #expect(message.parts[0].part.contentType.charset == "utf-8")
        #expect(message.text(0) == "Ihr Brief konnte nicht zugestellt werden.\r\nDer Empfänger ist unbekannt.\r\n")
        #expect(message.text(2) == "From: anna@example.ch\r\nTo: letters@missive.example\r\nSubject: Rechnung\r\n")

        let status = try groups(message.parts[1].body)
        #expect(status.count == 3)
        guard status.count == 3 else { return }
        #expect(status[0].first("Original-Envelope-Id") == "QQ314159")
        #expect(status[0].first("Reporting-MTA") == "dns; missive.example")
        #expect(status[0].first("Arrival-Date") == "Sat, 29 Nov 2025 10:00:00 +0000")
        #expect(status[1].fields.map(\.name) == ["Original-Recipient", "Final-Recipient", "Action", "Status", "Diagnostic-Code", "Last-Attempt-Date"])
        #expect(status[1].first("Original-Recipient") == "rfc822;letters@missive.example")
        #expect(status[1].first("Action") == "failed")
        #expect(status[1].first("Status") == "5.1.1")
        #expect(status[1].first("Diagnostic-Code") == "x-missive; returned: Adressat unbekannt")
        #expect(status[1].first("Last-Attempt-Date") == "Sun, 30 Nov 2025 10:01:01 +0000")
        #expect(status[2].fields.map(\.name) == ["Final-Recipient", "Action", "Status"])
        #expect(status[2].first("Action") == "delivered")
    }

    @Test("CRLF everywhere, no line over 998 octets, 7-bit except where UTF-8 was given")
    func lineDiscipline() {
        let long = String(repeating: "Sehr lange Zeile ohne Ende ", count: 100)
        var notification = Self.sample(humanReadable: long, originalHeaders: "X-Long: " + String(repeating: "h", count: 3000))
        notification.recipients[0].diagnosticCode = "smtp; 550 5.1.1 " + String(repeating: "x", count: 2500) + " " + long
        let bytes = notification.render()
        var lineLength = 0
        var bareLineBreaks = 0
        for (index, byte) in bytes.enumerated() {
            if byte == 10 {
                if index == 0 || bytes[index - 1] != 13 { bareLineBreaks += 1 }
                lineLength = 0
            } else if byte == 13 {
                if index + 1 >= bytes.count || bytes[index + 1] != 10 { bareLineBreaks += 1 }
            } else {
                lineLength += 1
                #expect(lineLength <= 998)
                if lineLength > 998 { return }
            }
        }
        #expect(bareLineBreaks == 0)
        #expect(bytes.suffix(2) == [13, 10])
        #expect(bytes.allSatisfy { $0 < 0x80 })
    }

    @Test("Long and non-ASCII text survives the encodings; delivery-status stays ASCII")
    func encodings() throws {
        let long = (1...40).map { "Wort\($0)" }.joined(separator: " ")
        var notification = Self.sample(
            subject: "Zustellung fehlgeschlagen – Empfänger unbekannt",
            humanReadable: "Grüezi\n\n" + long + "\nEnde.  ",
            originalHeaders: "Subject: Grüße\n")
        notification.recipients[0].diagnosticCode = "x-missive; Empfänger unbekannt – Straße ungültig\r\nInjected: yes"
        notification.recipients[0].finalRecipient = "rfc822;bad\r\nX-Injected: yes"
        let rendered = notification.render()
        let message = try MIMEFixtures.read(rendered)
        #expect(message.headers.subject == "Zustellung fehlgeschlagen – Empfänger unbekannt")
        #expect(message.headers.first("Subject")?.hasPrefix("=?utf-8?B?") == true)
        #expect(message.parts[0].part.transferEncoding == "quoted-printable")
        #expect(message.text(0) == "Grüezi\r\n\r\n" + long + "\r\nEnde.  \r\n")
        #expect(message.parts[2].part.transferEncoding == "quoted-printable")
        #expect(message.text(2) == "Subject: Grüße\r\n")
        let status = try groups(message.parts[1].body)
        #expect(status[1].first("Diagnostic-Code") == "x-missive; Empfaenger unbekannt - Strasse ungueltig  Injected: yes")
        #expect(status[1].first("Final-Recipient") == "rfc822;bad  X-Injected: yes")
        #expect(status.allSatisfy { $0.first("X-Injected") == nil && $0.first("Injected") == nil })
        #expect(message.parts[1].body.allSatisfy { $0 < 0x80 })
    }

    @Test("Without original headers there are two parts; rendering is repeatable")
    func twoParts() throws {
        let notification = Self.sample(originalHeaders: nil)
        let message = try MIMEFixtures.read(notification.render())
        #expect(message.parts.count == 2)
        #expect(notification.render() == notification.render())
        #expect(message.headers.first("Message-ID") == "<dsn.1@missive.example>")
    }

    @Test("The boundary never occurs in a part")
    func boundaryAvoidsContent() throws {
        let plain = Self.sample(originalHeaders: nil).render()
        let contentType = try #require(try MIMEFixtures.read(plain).headers.contentType.boundary)
        let hostile = Self.sample(originalHeaders: "X-Trap: x\n--\(contentType)--\n")
        let message = try MIMEFixtures.read(hostile.render())
        #expect(message.headers.contentType.boundary != contentType)
        #expect(message.parts.count == 3)
        #expect(message.text(2) == "X-Trap: x\r\n--\(contentType)--\r\n")
    }

    @Test("Dates are RFC 5322 in UTC", arguments: [
        (0.0, "Thu, 01 Jan 1970 00:00:00 +0000"),
        (951_782_400.0, "Tue, 29 Feb 2000 00:00:00 +0000"),
        (4_102_444_799.0, "Thu, 31 Dec 2099 23:59:59 +0000"),
        (-1.0, "Wed, 31 Dec 1969 23:59:59 +0000"),
    ])
    func dates(seconds: Double, expected: String) throws {
        var notification = Self.sample()
        notification.date = Date(timeIntervalSince1970: seconds)
        let message = try MIMEFixtures.read(notification.render())
        #expect(message.headers.first("Date") == expected)
    }
}
