import Foundation
import Logging
import MissiveCore
import MissiveMIME

/// Turns outbox entries into RFC 3464 delivery status notifications and hands them on: to
/// the smarthost over SMTP, or (no smarthost configured) into a folder as `.eml` files.
/// Failures are retried with back-off; nothing is dropped silently.
public struct DSNDelivery: Sendable {
    public enum Transport: Sendable {
        case smtp(SMTPClient.Endpoint)
        /// Each notification as `<id>.eml` (written to a temporary name, then renamed).
        case folder(URL)
    }

    let outbox: any MailOutbox
    let transport: Transport
    let retry: RetryPolicy
    let clock: any WallClock
    let logger: Logger

    public init(outbox: any MailOutbox, transport: Transport, retry: RetryPolicy, clock: any WallClock, logger: Logger) {
        self.outbox = outbox
        self.transport = transport
        self.retry = retry
        self.clock = clock
        self.logger = logger
    }

    /// Sends one notification and records the attempt.
    public func deliver(_ mail: OutgoingMail) async {
        let message = DSNComposer.message(for: mail, now: Date())
        var failure: String?
        var permanent = false
        do {
            switch transport {
            case .smtp(let endpoint):
                try await SMTPClient(endpoint: endpoint).send(message, from: "", to: [mail.mailReturn.returnPath])
            case .folder(let folder):
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let temporary = folder.appendingPathComponent(".\(mail.id.rawValue).tmp")
                try Data(message).write(to: temporary)
                guard rename(temporary.path, folder.appendingPathComponent("\(mail.id.rawValue).eml").path) == 0 else {
                    throw SMTPClient.Failure(code: nil, text: "cannot write to the mail outbox folder")
                }
            }
        } catch let error as SMTPClient.Failure {
            failure = error.description
            permanent = error.permanent
        } catch {
            failure = "\(String(reflecting: type(of: error)))"
        }
        let next = failure == nil || permanent ? nil : retry.delay(afterAttempt: mail.attemptCount + 1).map { clock.now().addingTimeInterval($0) }
        if let failure {
            logger.notice("dsn not sent", metadata: ["missive.delivery.id": "\(mail.id)", "missive.error": "\(failure.prefix(120))", "missive.attempt": "\(mail.attemptCount + 1)"])
        }
        do {
            try await outbox.recordMailAttempt(mail, sent: failure == nil, error: failure.map { String($0.prefix(200)) }, nextAttemptAt: next)
        } catch {
            logger.error("could not record a dsn attempt", metadata: ["missive.delivery.id": "\(mail.id)"])
        }
    }
}

/// Writes the notification for one status event (pure).
public enum DSNComposer {
    public static func message(for mail: OutgoingMail, now: Date) -> [UInt8] {
        let event = mail.event
        let mailReturn = mail.mailReturn
        let host = mailReturn.reportingMTA
        let (action, status, verdict) = outcome(event)
        var human = "This is the Missive hub at \(host).\r\n\r\n"
        let subject = mailReturn.subject.map { " \"\($0)\"" } ?? ""
        human += "Your letter\(subject) to \(mailReturn.finalRecipient) (envelope \(mail.envelopeID.rawValue)) \(verdict).\r\n"
        if let reason = event.reason { human += "\r\nReason: \(reason.code): \(reason.text)\r\n" }
        human += "\r\nThe envelope's full history is in the Missive API: GET /v1/envelopes/\(mail.envelopeID.rawValue)/events\r\n"
        let diagnostic = event.reason.map { "x-missive; \($0.code): \($0.text)" } ?? "x-missive; \(event.type.rawValue)"
        let report = DeliveryStatusNotification(
            reportingMTA: "dns; \(host)", from: "MAILER-DAEMON@\(host)", to: mailReturn.returnPath,
            originalEnvelopeID: mailReturn.envelopeID, arrivalDate: mailReturn.arrivalDate,
            subject: action == .failed ? "Undelivered letter: \(mailReturn.subject ?? mail.envelopeID.rawValue)" : "Letter \(event.type.rawValue): \(mailReturn.subject ?? mail.envelopeID.rawValue)",
            humanReadable: human,
            recipients: [DeliveryStatusNotification.RecipientStatus(
                originalRecipient: mailReturn.originalRecipient, finalRecipient: "rfc822;\(mailReturn.finalRecipient)", action: action,
                status: status, diagnosticCode: diagnostic, lastAttemptDate: event.at
            )],
            originalHeaders: mailReturn.headers, messageID: "\(mail.id.rawValue)@\(host)", date: now
        )
        return report.render()
    }

    /// RFC 3464 action, RFC 3463 status and a human verdict for an event.
    static func outcome(_ event: StatusEvent) -> (DeliveryStatusNotification.RecipientStatus.Action, String, String) {
        switch event.type {
        case .delivered: (.delivered, "2.0.0", "was delivered to the recipient's digital mailbox\(event.channel == .eBill ? " (eBill)" : "")")
        case .consulted: (.delivered, "2.0.0", "was opened by the recipient")
        case .posted: (.relayed, "2.0.0", "was printed and handed to the post (no further delivery reports from the post)")
        case .returned: (.failed, "5.1.6", "was returned by the post as undeliverable")
        case .rejected: (.failed, "5.7.1", "was rejected")
        case .failed:
            switch event.reason?.code {
            case "unreachable", "recipient_unknown", "not_found", "addressee_unknown", "no_postal_address": (.failed, "5.1.1", "could not be delivered: the recipient cannot be reached")
            case "returned": (.failed, "5.1.6", "was returned by the post as undeliverable")
            default: (.failed, "5.0.0", "could not be delivered")
            }
        case .accepted, .routed, .notConsulted, .printed, .cancelled: (.delayed, "4.0.0", "is in progress")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
