import Foundation

/// A submission ready to be committed: the envelope (documents already durable in the
/// blob store), its `accepted` event, and what the ingress needs to answer a replay.
public struct Submission: Sendable {
    public var envelope: Envelope
    /// The first event: `accepted`, or `rejected` for a submission refused after its
    /// documents were read (malware); a rejected one gets no job and no idempotency entry.
    public var acceptedEvent: StatusEvent
    /// A digest of the whole request (fields and document hashes); a different request
    /// under the same ingress reference is refused.
    public var requestHash: String
    /// The adapter's first response, returned verbatim on replays.
    public var ingressResponse: Data?
    /// When routing may start (now, or the policy's `notBefore`).
    public var routeAt: Date
    /// SMTP senders: where notifications go, stored with the envelope.
    public var mailReturn: MailReturn?

    public init(envelope: Envelope, acceptedEvent: StatusEvent, requestHash: String, ingressResponse: Data?, routeAt: Date, mailReturn: MailReturn? = nil) {
        self.mailReturn = mailReturn
        self.envelope = envelope
        self.acceptedEvent = acceptedEvent
        self.requestHash = requestHash
        self.ingressResponse = ingressResponse
        self.routeAt = routeAt
    }
}

/// The outcome of committing a submission.
public enum AcceptanceResult: Sendable {
    /// Newly committed.
    case accepted(Envelope)
    /// The ingress reference was seen before with the same request: the stored first
    /// response (if the adapter saved one) and the envelope as it is now.
    case replayed(Envelope, firstResponse: Data?)
}

/// Filters for listing envelopes.
public struct EnvelopeFilter: Sendable, Hashable {
    public var status: EnvelopeStatus?
    public var kind: EnvelopeKind?
    public var channel: Channel?
    public var createdAfter: Date?
    public var createdBefore: Date?
    public var reference: String?
    public init(status: EnvelopeStatus? = nil, kind: EnvelopeKind? = nil, channel: Channel? = nil, createdAfter: Date? = nil, createdBefore: Date? = nil, reference: String? = nil) {
        self.status = status
        self.kind = kind
        self.channel = channel
        self.createdAfter = createdAfter
        self.createdBefore = createdBefore
        self.reference = reference
    }
}

/// A durable unit of future work: route, dispatch, timers. Rows in the store, claimed
/// with leases so they survive restarts and can be shared by several processes.
public struct Job: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Resolve the recipient and choose a channel.
        case route
        /// Hand the envelope to its routed channel.
        case dispatch
        /// 7 days after `delivered`: record `not_consulted` if still unopened.
        case consultationDeadline = "consultation_deadline"
        /// `printIfNotConsultedAfter` expired: print a copy if still unopened.
        case printFallback = "print_fallback"
    }

    public var id: Int64
    public var kind: Kind
    public var envelopeID: EnvelopeID
    public var runAt: Date
    public var attempts: Int
    /// The lease token of the claim; completing requires it.
    public var lease: String

    public init(id: Int64, kind: Kind, envelopeID: EnvelopeID, runAt: Date, attempts: Int, lease: String) {
        self.id = id
        self.kind = kind
        self.envelopeID = envelopeID
        self.runAt = runAt
        self.attempts = attempts
        self.lease = lease
    }
}

/// A job to enqueue.
public struct NewJob: Sendable, Hashable {
    public var kind: Job.Kind
    public var runAt: Date
    public init(_ kind: Job.Kind, at runAt: Date) {
        self.kind = kind
        self.runAt = runAt
    }
}

/// One atomic change of an envelope: events appended (validated by ``EnvelopeLifecycle``),
/// jobs enqueued or dropped, and the job that caused it completed — all or nothing.
public struct EnvelopeChange: Sendable {
    public var envelopeID: EnvelopeID
    public var events: [StatusEvent]
    public var enqueue: [NewJob]
    /// Pending jobs of these kinds are removed (e.g. dispatch on cancel or re-route).
    public var dropPending: Set<Job.Kind>
    /// `true` marks the envelope as being handed to its channel (cancel is refused from
    /// then on); `false` clears the mark (a new route); `nil` leaves it.
    public var dispatched: Bool?
    /// The change is void (`conflict`) if the envelope was already handed to a channel.
    public var requireUndispatched: Bool
    /// The claimed job this change completes; if its lease was lost the change is void.
    public var completing: Job?

    public init(envelopeID: EnvelopeID, events: [StatusEvent] = [], enqueue: [NewJob] = [], dropPending: Set<Job.Kind> = [], dispatched: Bool? = nil, requireUndispatched: Bool = false, completing: Job? = nil) {
        self.envelopeID = envelopeID
        self.events = events
        self.enqueue = enqueue
        self.dropPending = dropPending
        self.dispatched = dispatched
        self.requireUndispatched = requireUndispatched
        self.completing = completing
    }
}

/// An envelope with the store-side facts the core needs to decide.
public struct EnvelopeRecord: Sendable, Hashable {
    public var envelope: Envelope
    public var lifecycle: EnvelopeLifecycle
    /// When the envelope was handed to its current channel.
    public var dispatchedAt: Date?
    /// Channels that failed for this envelope (not to be chosen again).
    public var failedChannels: Set<Channel>
    /// The directory entry routing resolved, if any.
    public var directoryEntryID: DirectoryEntryID?

    public init(envelope: Envelope, lifecycle: EnvelopeLifecycle, dispatchedAt: Date?, failedChannels: Set<Channel>, directoryEntryID: DirectoryEntryID?) {
        self.envelope = envelope
        self.lifecycle = lifecycle
        self.dispatchedAt = dispatchedAt
        self.failedChannels = failedChannels
        self.directoryEntryID = directoryEntryID
    }
}

/// Durable envelopes, events and jobs (DESIGN §5). Implementations commit before returning.
public protocol EnvelopeStore: Sendable {
    /// Commits a submission (group commit: concurrent calls share one transaction).
    /// Throws `idempotencyMismatch` when the reference was used for another request.
    func accept(_ submission: Submission) async throws -> AcceptanceResult

    /// The envelope, if it belongs to `organisation` (`nil` means any organisation: internal use).
    func record(_ id: EnvelopeID, organisation: OrganisationID?) async throws -> EnvelopeRecord?

    /// The organisation's envelopes, newest first, after the cursor envelope.
    func envelopes(of organisation: OrganisationID, filter: EnvelopeFilter, after cursor: EnvelopeID?, limit: Int) async throws -> [Envelope]

    /// All events of one envelope, oldest first.
    func events(of envelope: EnvelopeID, organisation: OrganisationID) async throws -> [StatusEvent]

    /// The organisation's event feed, oldest first, strictly after `cursor`.
    func feed(of organisation: OrganisationID, after cursor: EventID?, type: EventType?, limit: Int) async throws -> [StatusEvent]

    /// Applies one change atomically. Throws `illegalTransition` (nothing written) when an
    /// event may not follow the current state, `conflict` when `completing`'s lease is lost.
    func apply(_ change: EnvelopeChange) async throws

    /// Records that routing resolved a directory entry / a channel failed for the envelope.
    func noteRouting(_ envelope: EnvelopeID, entry: DirectoryEntryID?, failedChannel: Channel?) async throws

    /// Claims up to `limit` jobs due at `now` for `leaseDuration` seconds of real time.
    func claimJobs(limit: Int, now: Date, leaseDuration: TimeInterval) async throws -> [Job]

    /// Completes a job without other effects.
    func complete(_ job: Job) async throws

    /// Releases a job to run again at `runAt`, counting the attempt.
    func retry(_ job: Job, at runAt: Date, error: String) async throws
    /// Gives a claimed job back unchanged (no attempt counted), to be taken again at `runAt`.
    func postpone(_ job: Job, until runAt: Date) async throws

    /// The earliest `runAt` of an unclaimed job, to sleep until.
    func nextJobDue() async throws -> Date?

    /// Envelopes routed (not dispatched) or accepted that target the directory entry.
    func undispatched(for entry: DirectoryEntryID) async throws -> [EnvelopeID]
}
