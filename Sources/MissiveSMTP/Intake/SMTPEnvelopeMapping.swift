import Crypto
import Foundation
import MissiveCore
import MissiveMIME

/// Turns a read message and its transaction into one envelope draft per recipient (pure).
enum SMTPEnvelopeMapping {
    /// `missive.json`, or the JSON of an `X-Missive-Recipient` header: the oneAPI's field names.
    struct Manifest: Decodable {
        var recipient: WireRecipient?
        var kind: EnvelopeKind?
        var title: String?
        var reference: String?
        var policy: WirePolicy?
    }

    struct WireRecipient: Decodable {
        var ePostAddress: String?
        var uid: String?
        var eBillId: String?
        var postal: WirePostal?

        var recipient: Recipient {
            Recipient(ePostAddress: ePostAddress, uid: uid, eBillID: eBillId, postal: postal.map {
                PostalAddress(name: $0.name, addressLine2: $0.addressLine2, street: $0.street, houseNumber: $0.houseNumber, postcode: $0.postcode, town: $0.town, country: $0.country ?? "CH")
            })
        }
    }

    struct WirePostal: Decodable {
        var name: String
        var addressLine2: String?
        var street: String
        var houseNumber: String?
        var postcode: String
        var town: String
        var country: String?
    }

    struct WirePolicy: Decodable {
        var mode: ChannelPolicy.Mode?
        var printIfNotConsultedAfterDays: Int?
    }

    static func drafts(_ message: ReadMessage, transaction: SMTPTransaction, hostname: String, arrival: Date) -> Result<[(SMTPAcceptedRecipient, EnvelopeDraft)], SMTPRejection> {
        let manifest: Manifest?
        do {
            manifest = try message.manifest.map { try JSONDecoder().decode(Manifest.self, from: Data($0)) }
        } catch {
            return .failure(SMTPRejection(SMTPReply(554, "5.6.0", "missive.json is not valid: expected the oneAPI envelope fields")))
        }
        let headerRecipient: Recipient?
        if let raw = message.headers.first("X-Missive-Recipient") {
            guard let wire = try? JSONDecoder().decode(WireRecipient.self, from: Data(raw.utf8)) else {
                return .failure(SMTPRejection(SMTPReply(554, "5.6.0", "X-Missive-Recipient must be a JSON recipient object")))
            }
            headerRecipient = wire.recipient
        } else {
            headerRecipient = nil
        }
        let kind: EnvelopeKind
        if let raw = message.headers.first("X-Missive-Kind") {
            guard let parsed = EnvelopeKind(rawValue: raw.trimmingCharacters(in: .whitespaces).lowercased()) else {
                return .failure(SMTPRejection(SMTPReply(554, "5.6.0", "X-Missive-Kind is not a known kind")))
            }
            kind = manifest?.kind ?? parsed
        } else {
            kind = manifest?.kind ?? .letter
        }
        let title = (manifest?.title ?? message.headers.subject).map(oneLine).flatMap { $0.isEmpty ? nil : String(String.UnicodeScalarView($0.unicodeScalars.prefix(200))) }
        let reference = manifest?.reference ?? message.headers.first("X-Missive-Reference")?.trimmingCharacters(in: .whitespaces)
        var policy = ChannelPolicy()
        if let mode = manifest?.policy?.mode { policy.mode = mode }
        policy.printIfNotConsultedAfterDays = manifest?.policy?.printIfNotConsultedAfterDays
        let messageID = message.headers.messageID
        let headerText = Self.headerText(message.headers)

        var drafts: [(SMTPAcceptedRecipient, EnvelopeDraft)] = []
        for accepted in transaction.recipients {
            let recipient: Recipient
            switch accepted.target {
            case .recipient(let addressed):
                recipient = addressed
            case .fromMessage:
                guard let found = manifest?.recipient?.recipient ?? headerRecipient else {
                    return .failure(SMTPRejection(SMTPReply(550, "5.1.3", "No recipient in the message: add an X-Missive-Recipient header or a missive.json part")))
                }
                recipient = found
            }
            let draft = EnvelopeDraft(
                ingress: .smtp, ingressReference: messageID.map { Self.reference(messageID: $0, recipient: accepted.path) },
                kind: kind, title: title, reference: reference, recipient: recipient, documents: message.documents, policy: policy,
                mailReturn: MailReturn(
                    returnPath: transaction.from.address, notify: accepted.parameters.notify, envelopeID: transaction.parameters.envelopeID,
                    returnContent: transaction.parameters.ret, originalRecipient: accepted.parameters.originalRecipient,
                    finalRecipient: accepted.path.address, messageID: messageID, subject: message.headers.subject.map(oneLine),
                    headers: headerText, arrivalDate: arrival, reportingMTA: hostname
                )
            )
            do throws(MissiveError) {
                try draft.validate()
            } catch {
                return .failure(SMTPRejection(SMTPReply(554, "5.6.0", "The letter is not valid: \(error.reason)")))
            }
            drafts.append((accepted, draft))
        }
        return .success(drafts)
    }

    /// Message-ID per recipient (one message to two recipients makes two envelopes).
    static func reference(messageID: String, recipient: SMTPPath) -> String {
        let text = "\(messageID) \(recipient.address.lowercased())"
        guard text.utf8.count > 255 || text.unicodeScalars.contains(where: { $0.value < 0x21 && $0 != " " || $0.value > 0x7E }) else { return text }
        return "sha256:" + SHA256.hash(data: Data(text.utf8)).hex
    }

    /// The header block for a notification's `text/rfc822-headers` (at most 16 KiB).
    static func headerText(_ headers: MIMEHeaders) -> String {
        var text = ""
        for field in headers.fields {
            let line = "\(field.name): \(field.value)\r\n"
            guard text.utf8.count + line.utf8.count <= 16 * 1024 else { break }
            text += line
        }
        return text
    }

    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 })).trimmingCharacters(in: .whitespaces)
    }
}

/// Reads a recipient written with the oneAPI's field names (`ePostAddress`, `uid`,
/// `eBillId`, `postal`).
public enum SMTPRecipientJSON {
    public static func recipient(from json: Data) -> Recipient? {
        (try? JSONDecoder().decode(SMTPEnvelopeMapping.WireRecipient.self, from: json))?.recipient
    }
}
