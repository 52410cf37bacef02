import Foundation
import Logging
import MissiveCore

/// The ePost channel: places the letter in the recipient's digital mailbox inside Missive.
///
/// Delivery is immediate and final: the ``MailboxStore`` places at most one letter per
/// envelope, so a repeated dispatch (at-least-once) returns the letter placed first. The
/// letter keeps the document's key wrapped for the mailbox's own encryption key, so the
/// recipient's download opens it with that key, not the operator's processing key.
///
/// Refusals (the router then falls back to the next channel):
/// - `no_mailbox`: the directory entry has no digital mailbox;
/// - `mailbox_closed`: the recipient is not verified or opted out since routing;
/// - `no_document`: the envelope has no main document.
public struct EPostChannel: DeliveryChannel {
    private let mailboxes: any MailboxStore
    private let blobs: any BlobStore
    private let clock: any WallClock
    private let logger: Logger

    /// Creates the channel.
    /// - Parameters:
    ///   - mailboxes: The mailbox store letters are placed in.
    ///   - blobs: Wraps each document's key for the recipient's mailbox.
    ///   - clock: The source of the letters' delivery time.
    ///   - logger: Logs envelope and letter ids only.
    public init(mailboxes: any MailboxStore, blobs: any BlobStore, clock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "missive.channels.epost")) {
        self.mailboxes = mailboxes
        self.blobs = blobs
        self.clock = clock
        self.logger = logger
    }

    /// Places the envelope's main document in the recipient's mailbox.
    public func deliver(_ envelope: Envelope, entry: DirectoryEntry?) async throws -> DeliveryOutcome {
        guard let entry, let mailboxID = entry.mailboxID else {
            return .refused(Reason(code: "no_mailbox", text: "The recipient has no ePost mailbox."))
        }
        guard entry.verified, !entry.optedOut else {
            return .refused(Reason(code: "mailbox_closed", text: "The recipient's ePost mailbox does not accept letters."))
        }
        guard let document = envelope.mainDocument else {
            return .refused(Reason(code: "no_document", text: "The envelope has no main document."))
        }
        let senderName = try await mailboxes.organisationName(envelope.organisationID) ?? envelope.organisationID.rawValue
        let senderUID = try await mailboxes.organisationUID(envelope.organisationID)
        let documentKey = try await blobs.wrapKey(of: document.storageKey, for: try await mailboxes.encryptionKey(for: mailboxID))
        let now = clock.now()
        let letter = MailboxLetter(
            id: LetterID.generate(at: now), mailboxID: mailboxID, envelopeID: envelope.id,
            organisationID: envelope.organisationID, senderName: senderName, kind: envelope.kind,
            title: envelope.title, deliveredAt: now, consultedAt: nil, document: document,
            attachmentCount: envelope.documents.count { $0.role == .attachment }, documentKey: documentKey,
            senderUID: senderUID, mode: envelope.mode
        )
        let placed = try await mailboxes.deliver(letter)
        logger.debug("letter placed in mailbox", metadata: [LogKey.envelopeID: "\(envelope.id)", LogKey.letterID: "\(placed.id)"])
        return .delivered(detail: ["letterId": placed.id.rawValue])
    }
}
