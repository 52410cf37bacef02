import MissiveCore
import Testing

/// The four fields of an ``EnvelopeLifecycle``, as a plain value the tests can enumerate.
struct LifecycleState: Hashable, Sendable, CustomTestStringConvertible {
    var status: EnvelopeStatus?
    var channel: Channel?
    var deliveredToMailbox: Bool
    var consulted: Bool

    init(_ status: EnvelopeStatus?, _ channel: Channel? = nil, mailbox deliveredToMailbox: Bool = false, consulted: Bool = false) {
        self.status = status
        self.channel = channel
        self.deliveredToMailbox = deliveredToMailbox
        self.consulted = consulted
    }

    init(_ lifecycle: EnvelopeLifecycle) {
        self.init(lifecycle.status, lifecycle.channel, mailbox: lifecycle.deliveredToMailbox, consulted: lifecycle.consulted)
    }

    var lifecycle: EnvelopeLifecycle {
        EnvelopeLifecycle(status: status, channel: channel, deliveredToMailbox: deliveredToMailbox, consulted: consulted)
    }

    /// Every combination of the four fields: 12 × 4 × 2 × 2 = 192 states.
    static let all: [LifecycleState] = {
        var states: [LifecycleState] = []
        for status in [nil] + EnvelopeStatus.allCases.map(Optional.some) {
            for channel in Channel.optionalCases {
                for mailbox in [false, true] {
                    for consulted in [false, true] {
                        states.append(LifecycleState(status, channel, mailbox: mailbox, consulted: consulted))
                    }
                }
            }
        }
        return states
    }()

    /// The state after `type` on `eventChannel`, per the field rules of the doc comments.
    func after(_ type: EventType, on eventChannel: Channel?) -> LifecycleState {
        var next = self
        next.status = type
        if type == .routed { next.channel = eventChannel }
        if type == .delivered, eventChannel == .ePost { next.deliveredToMailbox = true }
        if type == .consulted { next.consulted = true }
        return next
    }

    var testDescription: String {
        "(\(status?.rawValue ?? "new"), route: \(channel?.rawValue ?? "none"), mailbox: \(deliveredToMailbox), consulted: \(consulted))"
    }
}

extension Channel {
    /// `nil` and every channel: the possible `channel` of an event.
    static let optionalCases: [Channel?] = [nil] + allCases.map(Optional.some)
}
