/// The one place that knows which status events may follow which. Pure: no I/O, no time.
///
/// ```
/// (new) ─► accepted ─► routed ─┬─► delivered ─┬─► consulted
///   │          │         ▲  │  │   (epost,    ├─► not_consulted ─► consulted
///   ▼          │         │  │  │    ebill)    └─► routed (print fallback)
///              │         │  │  └─► posted (a partner may report posted only)
/// rejected     │         └──┘  └─► printed ─► posted ─► returned
///              ▼    (re-route)
///      cancelled / failed   (cancel only before dispatch; failed also ends a refused print fallback)
/// ```
public struct EnvelopeLifecycle: Sendable, Hashable {
    /// The current status; `nil` before the first event.
    public private(set) var status: EnvelopeStatus?
    /// The channel of the current route.
    public private(set) var channel: Channel?
    /// True once the letter reached the recipient's digital mailbox.
    public private(set) var deliveredToMailbox: Bool
    /// True once the recipient opened the digital letter.
    public private(set) var consulted: Bool

    public init(status: EnvelopeStatus? = nil, channel: Channel? = nil, deliveredToMailbox: Bool = false, consulted: Bool = false) {
        self.status = status
        self.channel = channel
        self.deliveredToMailbox = deliveredToMailbox
        self.consulted = consulted
    }

    /// Replays a history of events; throws at the first illegal one.
    public init(replaying events: [StatusEvent]) throws(MissiveError) {
        self.init()
        for event in events { try apply(event.type, channel: event.channel) }
    }

    /// Applies one event, or throws `illegalTransition` and leaves the value unchanged.
    public mutating func apply(_ type: EventType, channel eventChannel: Channel?) throws(MissiveError) {
        guard isAllowed(type, channel: eventChannel) else {
            throw MissiveError(.illegalTransition, "\(type.rawValue) may not follow \(status?.rawValue ?? "nothing")\(eventChannel.map { " on \($0.rawValue)" } ?? "").")
        }
        switch type {
        case .routed:
            channel = eventChannel
        case .delivered:
            if eventChannel == .ePost { deliveredToMailbox = true }
        case .consulted:
            consulted = true
        case .accepted, .rejected, .notConsulted, .printed, .posted, .returned, .failed, .cancelled:
            break
        }
        status = type
    }

    /// Whether `type` (on `eventChannel`) may follow the current state.
    public func isAllowed(_ type: EventType, channel eventChannel: Channel?) -> Bool {
        switch type {
        case .accepted, .rejected:
            return status == nil
        case .routed:
            guard let eventChannel else { return false }
            return isOpen && status != nil && status != .printed && status != .posted && !consulted
                && !(status == .delivered && channel != .ePost)
                && !(eventChannel == .ePost && deliveredToMailbox)
        case .delivered:
            return status == .routed && (eventChannel == .ePost || eventChannel == .eBill) && eventChannel == channel
        case .consulted:
            // Opening is recorded while the digital letter is the current route; once a
            // print fallback runs, the mailbox keeps the opening time only.
            return (eventChannel == nil || eventChannel == .ePost) && deliveredToMailbox && !consulted
                && ((status == .delivered && channel == .ePost) || status == .notConsulted)
        case .notConsulted:
            return (eventChannel == nil || eventChannel == .ePost) && status == .delivered && channel == .ePost && !consulted
        case .printed:
            return status == .routed && channel == .physical && eventChannel == .physical
        case .posted:
            return (status == .printed || status == .routed) && channel == .physical && eventChannel == .physical
        case .returned:
            return status == .posted && eventChannel == .physical
        case .failed:
            return status == .accepted || status == .routed || status == .printed
        case .cancelled:
            return (status == .accepted || status == .routed) && !deliveredToMailbox
        }
    }

    /// False once nothing more can happen to the envelope.
    public var isOpen: Bool {
        guard let status else { return true }
        switch status {
        case .rejected, .returned, .failed, .cancelled, .consulted:
            return false
        case .delivered:
            return channel == .ePost
        case .accepted, .routed, .notConsulted, .printed, .posted:
            return true
        }
    }

    /// True when the sender has a definitive outcome (a terminal state in DESIGN §4's
    /// sense). A settled envelope may still learn more: a posted letter can come back
    /// `returned`, an unopened one can be opened late.
    public var isSettled: Bool {
        guard let status else { return false }
        switch status {
        case .consulted, .notConsulted, .posted, .returned, .failed, .cancelled, .rejected:
            return true
        case .delivered:
            return channel == .eBill
        case .accepted, .routed, .printed:
            return false
        }
    }
}
