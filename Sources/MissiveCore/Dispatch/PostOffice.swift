import Foundation
import Logging
import Synchronization

/// The oneAPI core: takes envelopes from every ingress, routes and dispatches them, and
/// records every status change. Adapters call it; it calls the ports.
public final class PostOffice: Sendable {
    /// The ports the core works through.
    public struct Ports: Sendable {
        public var envelopes: any EnvelopeStore
        public var directory: any RecipientDirectory
        public var mailboxes: any MailboxStore
        public var blobs: any BlobStore
        public var webhooks: any WebhookStore
        public var credentials: any CredentialStore
        /// Scans every document before acceptance; nil only where scanning is switched off.
        public var scanner: (any VirusScanner)?
        /// Sealed evidence; nil where the operator has no seal configured.
        public var evidence: (any EvidenceStore)?
        /// Sender organisations and their verification; nil: every organisation may send.
        public var organisations: (any OrganisationStore)?
        /// Organisations' business inboxes; nil: organisations receive no letters here.
        public var inboxes: (any BusinessInboxStore)?

        public init(envelopes: any EnvelopeStore, directory: any RecipientDirectory, mailboxes: any MailboxStore, blobs: any BlobStore, webhooks: any WebhookStore, credentials: any CredentialStore, scanner: (any VirusScanner)? = nil, evidence: (any EvidenceStore)? = nil, organisations: (any OrganisationStore)? = nil, inboxes: (any BusinessInboxStore)? = nil) {
            self.inboxes = inboxes
            self.scanner = scanner
            self.evidence = evidence
            self.organisations = organisations
            self.envelopes = envelopes
            self.directory = directory
            self.mailboxes = mailboxes
            self.blobs = blobs
            self.webhooks = webhooks
            self.credentials = credentials
        }
    }

    /// Rules that are configuration, not code.
    public struct Rules: Sendable {
        /// Days after `delivered` until an unopened letter is `not_consulted` (7 by law).
        public var consultationPeriod: TimeInterval
        public var channelRetry: RetryPolicy
        public var webhookRetry: RetryPolicy
        /// Deliveries one channel may have in flight at once (the dispatcher runs 16 jobs):
        /// a channel whose peer hangs holds no more workers than this.
        public var channelConcurrency: Int

        public init(consultationPeriod: TimeInterval = 7 * 86_400, channelRetry: RetryPolicy = .channels, webhookRetry: RetryPolicy = .webhooks, channelConcurrency: Int = 8) {
            self.channelConcurrency = channelConcurrency
            self.consultationPeriod = consultationPeriod
            self.channelRetry = channelRetry
            self.webhookRetry = webhookRetry
        }
    }

    public let ports: Ports
    public let clock: any WallClock
    public let rules: Rules
    /// Refuses new letters while the backlog behind acceptance is above its bound.
    public let admission: Admission
    /// Bounds each channel's deliveries in flight (``Rules/channelConcurrency``).
    let channelGate: ChannelGate

    /// Deliveries being made on `channel` now (for `/metrics`).
    public func deliveriesInFlight(_ channel: Channel) -> Int {
        channelGate.count(channel)
    }
    /// Signalled when jobs were committed.
    public let jobsAvailable = WakeSignal()
    /// Signalled when webhook deliveries were committed.
    public let deliveriesAvailable = WakeSignal()
    /// Signalled when delivery status notifications may have been committed.
    public let mailAvailable = WakeSignal()
    /// Signalled when events that need evidence may have been committed.
    public let evidenceAvailable = WakeSignal()

    /// Events were committed: their webhook messages and notifications wait in the outboxes.
    public func eventsCommitted() {
        deliveriesAvailable.signal()
        mailAvailable.signal()
        evidenceAvailable.signal()
    }
    let channelsByMode: @Sendable (Mode) -> ChannelSet
    let logger: Logger
    private let inFlight = Mutex<Set<String>>([])

    public init(ports: Ports, channels: @escaping @Sendable (Mode) -> ChannelSet, clock: any WallClock, rules: Rules = Rules(), admission: Admission = Admission(limit: nil), logger: Logger) {
        self.ports = ports
        self.admission = admission
        self.channelGate = ChannelGate(limit: rules.channelConcurrency)
        self.channelsByMode = channels
        self.clock = clock
        self.rules = rules
        self.logger = logger
    }

    // MARK: Intake

    /// Accepts an envelope: validates it, commits it with its `accepted` event and first
    /// job, and returns only once that is durable. `render` makes the ingress's first
    /// response, which is stored for idempotent replays (called only when the draft has an
    /// idempotency reference).
    public func submit(
        _ draft: EnvelopeDraft, organisation: OrganisationID, principal: String, mode: Mode,
        render: @Sendable (Envelope) throws -> Data? = { _ in nil }
    ) async throws -> AcceptanceResult {
        try draft.validate()
        try admission.check()
        if mode == .live, let organisations = ports.organisations, try await organisations.organisationState(organisation) == .unverified {
            throw MissiveError(.organisationNotVerified, "The organisation is not verified yet: enter the code from its verification letter. Test letters work meanwhile.")
        }
        if let infection = try await scan(draft.documents) {
            try await reject(draft, organisation: organisation, principal: principal, mode: mode, infection: infection)
        }
        let flightKey = draft.ingressReference.map { "\(organisation.rawValue)|\(draft.ingress.rawValue)|\($0)" }
        if let flightKey {
            let inserted = inFlight.withLock { $0.insert(flightKey).inserted }
            guard inserted else {
                throw MissiveError(.idempotencyInFlight, "A request with this idempotency reference is still being processed.")
            }
        }
        defer {
            if let flightKey { _ = inFlight.withLock { $0.remove(flightKey) } }
        }
        let now = clock.now()
        let envelope = Envelope(
            id: .generate(at: now), organisationID: organisation, principal: principal, mode: mode,
            ingress: draft.ingress, ingressReference: draft.ingressReference, kind: draft.kind,
            title: draft.title, reference: draft.reference, recipient: draft.recipient,
            documents: draft.documents, policy: draft.policy, print: draft.print, invoice: draft.invoice,
            createdAt: now
        )
        let event = StatusEvent(envelopeID: envelope.id, organisationID: organisation, type: .accepted, at: now)
        let submission = Submission(
            envelope: envelope, acceptedEvent: event, requestHash: draft.fingerprint,
            // Kept for idempotent replays only: without a reference there is none to answer.
            ingressResponse: draft.ingressReference == nil ? nil : try render(envelope), routeAt: max(now, draft.policy.notBefore ?? now), mailReturn: draft.mailReturn
        )
        let result = try await ports.envelopes.accept(submission)
        if case .accepted = result {
            // A replay's documents are the first submission's; these new copies are swept.
            ports.blobs.committed(draft.documents.map(\.storageKey))
            jobsAvailable.signal()
            eventsCommitted()
        }
        return result
    }

    /// Every document must be scanned clean before the envelope may be accepted; returns the
    /// first infected document (index and signature name).
    func scan(_ documents: [DocumentRef]) async throws -> (index: Int, signature: String)? {
        guard let scanner = ports.scanner else { return nil }
        for (index, document) in documents.enumerated() {
            if case .infected(let signature) = try await scanner.scan(document.storageKey) {
                logger.notice("document refused: malware", metadata: ["missive.scan.signature": "\(signature.prefix(80))", "missive.document.index": "\(index)"])
                return (index, String(signature.prefix(80)))
            }
        }
        return nil
    }

    /// Records a submission refused for malware as a `rejected` envelope (reason `virus`,
    /// `SubmissionRejection` evidence, webhooks), then throws `virusDetected` naming it. The
    /// idempotency reference is not kept: a clean resubmission under it is a new letter.
    func reject(_ draft: EnvelopeDraft, organisation: OrganisationID, principal: String, mode: Mode, infection: (index: Int, signature: String)) async throws -> Never {
        let now = clock.now()
        let reason = Reason(code: "virus", text: "Document \(infection.index + 1) contains malware (\(infection.signature)).")
        let envelope = Envelope(
            id: .generate(at: now), organisationID: organisation, principal: principal, mode: mode,
            ingress: draft.ingress, ingressReference: nil, kind: draft.kind,
            title: draft.title, reference: draft.reference, recipient: draft.recipient,
            documents: draft.documents, policy: draft.policy, print: draft.print, invoice: draft.invoice,
            status: .rejected, statusReason: reason, createdAt: now
        )
        let event = StatusEvent(envelopeID: envelope.id, organisationID: organisation, type: .rejected, at: now, reason: reason)
        _ = try await ports.envelopes.accept(Submission(envelope: envelope, acceptedEvent: event, requestHash: draft.fingerprint, ingressResponse: nil, routeAt: now))
        eventsCommitted()
        throw MissiveError(
            .virusDetected, "Document \(infection.index + 1) contains malware (\(infection.signature)); the envelope is refused and recorded as \(envelope.id) with rejection evidence.",
            pointer: infection.index == 0 ? "document" : "attachment", envelopeID: envelope.id
        )
    }

    // MARK: Sender actions

    /// The envelope's sealed evidence, oldest first (404 for another organisation's).
    public func evidence(of id: EnvelopeID, organisation: OrganisationID) async throws -> [StoredEvidence] {
        guard try await ports.envelopes.record(id, organisation: organisation) != nil else {
            throw MissiveError(.notFound, "No such envelope.")
        }
        return try await ports.evidence?.evidence(of: id, organisation: organisation) ?? []
    }

    /// One evidence record of the organisation.
    public func evidence(_ id: EvidenceID, organisation: OrganisationID) async throws -> StoredEvidence {
        guard let evidence = try await ports.evidence?.evidence(id, organisation: organisation) else {
            throw MissiveError(.notFound, "No such evidence.")
        }
        return evidence
    }

    /// The envelope, if it belongs to the organisation.
    public func envelope(_ id: EnvelopeID, organisation: OrganisationID) async throws -> Envelope {
        guard let record = try await ports.envelopes.record(id, organisation: organisation) else {
            throw MissiveError(.notFound, "No such envelope.")
        }
        return record.envelope
    }

    /// Withdraws an envelope that has not been handed to a channel yet.
    public func cancel(_ id: EnvelopeID, organisation: OrganisationID) async throws -> Envelope {
        guard let record = try await ports.envelopes.record(id, organisation: organisation) else {
            throw MissiveError(.notFound, "No such envelope.")
        }
        if record.lifecycle.status == .cancelled { return record.envelope }
        guard record.dispatchedAt == nil, record.lifecycle.isAllowed(.cancelled, channel: nil) else {
            throw MissiveError(.conflict, "The envelope is already \(record.envelope.status.rawValue) and can no longer be cancelled.")
        }
        let event = StatusEvent(envelopeID: id, organisationID: organisation, type: .cancelled, at: clock.now(), reason: Reason(code: "sender_cancelled", text: "Withdrawn by the sender."))
        do {
            try await ports.envelopes.apply(EnvelopeChange(envelopeID: id, events: [event], dropPending: Set(Job.Kind.allCases), requireUndispatched: true))
        } catch let error as MissiveError where error.code == .illegalTransition {
            throw MissiveError(.conflict, "The envelope changed state and can no longer be cancelled.")
        }
        eventsCommitted()
        return try await envelope(id, organisation: organisation)
    }

    /// Which channel would reach a recipient.
    public func reachability(of recipient: Recipient, kind: EnvelopeKind, organisation: OrganisationID) async throws -> Reachability {
        try await checkMayReadDirectory(organisation)
        try recipient.validate()
        let match = try await ports.directory.resolve(recipient)
        return Router.reachability(kind: kind, recipient: recipient, match: match)
    }

    /// Checks many recipients in one directory read. A recipient that is not even well-formed
    /// is answered (`invalid_recipient`), not thrown: one bad line never fails the batch.
    public func reachability(of recipients: [Recipient], kind: EnvelopeKind, organisation: OrganisationID) async throws -> [Reachability] {
        try await checkMayReadDirectory(organisation)
        var answers = [Reachability?](repeating: nil, count: recipients.count)
        var valid: [(index: Int, recipient: Recipient)] = []
        for (index, recipient) in recipients.enumerated() {
            do throws(MissiveError) {
                try recipient.validate()
                valid.append((index, recipient))
            } catch {
                answers[index] = .invalid(error.reason)
            }
        }
        let matches = try await ports.directory.resolve(valid.map(\.recipient))
        for (item, match) in zip(valid, matches) {
            answers[item.index] = Router.reachability(kind: kind, recipient: item.recipient, match: match)
        }
        return answers.map { $0! }
    }

    /// The directory tells who has a digital mailbox: only verified organisations may ask
    /// (test keys included, since the directory is the real one).
    private func checkMayReadDirectory(_ organisation: OrganisationID) async throws {
        if let organisations = ports.organisations, try await organisations.organisationState(organisation) == .unverified {
            throw MissiveError(.organisationNotVerified, "Reachability checks look into the recipient directory; they open once the organisation is verified.")
        }
    }

    // MARK: Recipient actions

    /// The recipient downloads a letter: returns its bytes, opened with the mailbox's own key,
    /// and records `consulted` once.
    public func open(_ letterID: LetterID, mailbox: MailboxID) async throws -> (MailboxLetter, Data) {
        guard let letter = try await ports.mailboxes.letter(letterID, in: mailbox) else {
            throw MissiveError(.notFound, "No such letter.")
        }
        let bytes: Data
        if let wrappedKey = letter.documentKey {
            guard let key = try await ports.mailboxes.decryptionKey(for: mailbox) else {
                throw MissiveError(.unavailable, "The mailbox's key is missing; the letter cannot be opened.")
            }
            bytes = try await ports.blobs.read(letter.document.storageKey, wrappedKey: wrappedKey, recipientKey: key)
        } else {
            // Placed before documents were encrypted at rest: the blob is plaintext.
            bytes = try await ports.blobs.read(letter.document.storageKey)
        }
        let now = clock.now()
        if try await ports.mailboxes.markConsulted(letterID, at: now) {
            let event = StatusEvent(envelopeID: letter.envelopeID, organisationID: letter.organisationID, type: .consulted, at: now, channel: .ePost, detail: ["letterId": letterID.rawValue])
            do {
                try await ports.envelopes.apply(EnvelopeChange(envelopeID: letter.envelopeID, events: [event]))
                eventsCommitted()
            } catch let error as MissiveError where error.code == .illegalTransition {
                logger.warning("consultation not recorded", metadata: [LogKey.envelopeID: "\(letter.envelopeID)", LogKey.error: "\(error.reason)"])
            }
        }
        return (letter, bytes)
    }

    /// Changes a recipient's preference and re-routes everything not yet dispatched to them.
    public func setPreference(_ preference: DeliveryPreference, mailbox: MailboxID) async throws {
        guard let entry = try await ports.directory.entry(forMailbox: mailbox) else {
            throw MissiveError(.notFound, "No such mailbox.")
        }
        try await ports.directory.setPreference(preference, for: entry.id)
        for id in try await ports.envelopes.undispatched(for: entry.id) {
            try await reroute(id, because: Reason(code: "preference_changed", text: "The recipient changed their delivery preference to \(preference.rawValue)."))
        }
    }

    /// Records a status reported by a channel partner (print partner: printed, posted, returned).
    public func recordReport(_ type: EventType, envelope id: EnvelopeID, channel: Channel, reason: Reason?, detail: [String: String]) async throws {
        guard let record = try await ports.envelopes.record(id, organisation: nil) else {
            throw MissiveError(.notFound, "No such envelope.")
        }
        guard record.lifecycle.isAllowed(type, channel: channel) else {
            logger.notice("partner report ignored", metadata: [LogKey.envelopeID: "\(id)", LogKey.event: "\(type.rawValue)"])
            return
        }
        let event = StatusEvent(envelopeID: id, organisationID: record.envelope.organisationID, type: type, at: clock.now(), channel: channel, reason: reason, detail: detail)
        try await ports.envelopes.apply(EnvelopeChange(envelopeID: id, events: [event]))
        eventsCommitted()
    }
}

/// Log metadata keys (namespaced, never content).
public enum LogKey {
    public static let envelopeID = "missive.envelope.id"
    public static let job = "missive.job"
    public static let event = "missive.event"
    public static let channel = "missive.channel"
    public static let error = "missive.error"
    public static let webhook = "missive.webhook.id"
}
