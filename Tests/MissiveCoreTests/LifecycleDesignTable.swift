import MissiveCore

/// The transitions of an envelope as read from the diagram on ``EnvelopeLifecycle`` and
/// DESIGN §4/§6, written independently of the implementation: one row per arrow.
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
///
/// Consultation is an event of the mailbox letter while it is the current route: once a print
/// fallback runs, an opening is not an event (the mailbox keeps its own consultedAt).
enum LifecycleDesignTable {
    /// One arrow: `event` may follow a state matching `from` when the event names one of `channels`.
    struct Row: Sendable {
        var event: EventType
        var why: String
        var from: @Sendable (LifecycleState) -> Bool
        var channels: Set<Channel?>
    }

    static let anyChannel: Set<Channel?> = Set(Channel.optionalCases)
    static let mailboxEvent: Set<Channel?> = [nil, .ePost]
    static let anyRoute: Set<Channel?> = [.ePost, .eBill, .physical]

    static let rows: [Row] = [
        // Intake: the first event and only the first.
        Row(event: .accepted, why: "intake accepts a new envelope", from: { $0.status == nil }, channels: anyChannel),
        Row(event: .rejected, why: "intake refuses a new envelope", from: { $0.status == nil }, channels: anyChannel),

        // Routing: a route always names its channel, and never leads back into a mailbox that
        // already holds the letter (that is checked per event channel below, in `allows`).
        Row(event: .routed, why: "first route", from: { $0.status == .accepted && !$0.consulted }, channels: anyRoute),
        Row(event: .routed, why: "re-route (preference change, channel refused, fallback refused)",
            from: { $0.status == .routed && !$0.consulted }, channels: anyRoute),
        Row(event: .routed, why: "print fallback: unopened mailbox letter",
            from: { $0.status == .delivered && $0.channel == .ePost && !$0.consulted }, channels: anyRoute),
        Row(event: .routed, why: "print fallback after the 7-day mark (printIfNotConsultedAfter > 7 days)",
            from: { $0.status == .notConsulted && !$0.consulted }, channels: anyRoute),

        // Digital delivery, on the routed channel (a second mailbox delivery is prevented by
        // the routing rule).
        Row(event: .delivered, why: "placed in the mailbox", from: { $0.status == .routed && $0.channel == .ePost }, channels: [.ePost]),
        Row(event: .delivered, why: "accepted by the eBill network", from: { $0.status == .routed && $0.channel == .eBill }, channels: [.eBill]),

        // Consultation of a mailbox letter.
        Row(event: .consulted, why: "opened after delivery",
            from: { $0.status == .delivered && $0.channel == .ePost && $0.deliveredToMailbox && !$0.consulted }, channels: mailboxEvent),
        Row(event: .consulted, why: "opened late",
            from: { $0.status == .notConsulted && $0.deliveredToMailbox && !$0.consulted }, channels: mailboxEvent),
        Row(event: .notConsulted, why: "7 days after delivery, unopened",
            from: { $0.status == .delivered && $0.channel == .ePost && !$0.consulted }, channels: mailboxEvent),

        // Print and post.
        Row(event: .printed, why: "print partner printed it", from: { $0.status == .routed && $0.channel == .physical }, channels: [.physical]),
        Row(event: .posted, why: "handed to the postal network after printing", from: { $0.status == .printed && $0.channel == .physical }, channels: [.physical]),
        Row(event: .posted, why: "the partner reports posted only, without printed", from: { $0.status == .routed && $0.channel == .physical }, channels: [.physical]),
        Row(event: .returned, why: "came back undeliverable", from: { $0.status == .posted }, channels: [.physical]),

        // Ends. failed: no channel could deliver, or the print fallback of a mailbox letter was
        // refused (that must be reported although the letter stays in the mailbox).
        Row(event: .failed, why: "no channel could deliver",
            from: { [.accepted, .routed, .printed].contains($0.status) && !$0.deliveredToMailbox }, channels: anyChannel),
        Row(event: .failed, why: "the print fallback of a mailbox letter failed",
            from: { [.accepted, .routed, .printed].contains($0.status) && $0.deliveredToMailbox }, channels: anyChannel),
        Row(event: .cancelled, why: "withdrawn before dispatch",
            from: { [.accepted, .routed].contains($0.status) && !$0.deliveredToMailbox }, channels: anyChannel),
    ]

    /// The design's answer.
    static func allows(_ state: LifecycleState, _ event: EventType, _ channel: Channel?) -> Bool {
        if event == .routed, channel == .ePost, state.deliveredToMailbox { return false }
        return rows.contains { $0.event == event && $0.channels.contains(channel) && $0.from(state) }
    }

    /// States reachable from `(new)` through the design's rows alone.
    static let designReachable: Set<LifecycleState> = closure { allows($0, $1, $2) }

    /// States reachable from `(new)` through the implementation's `isAllowed`.
    static let implementationReachable: Set<LifecycleState> = closure { $0.lifecycle.isAllowed($1, channel: $2) }

    static func closure(_ allowed: (LifecycleState, EventType, Channel?) -> Bool) -> Set<LifecycleState> {
        var seen: Set<LifecycleState> = [LifecycleState(nil)]
        var queue = [LifecycleState(nil)]
        while let state = queue.popLast() {
            for event in EventType.allCases {
                for channel in Channel.optionalCases where allowed(state, event, channel) {
                    let next = state.after(event, on: channel)
                    if seen.insert(next).inserted { queue.append(next) }
                }
            }
        }
        return seen
    }
}
