import Foundation
import MissiveCore
import Testing

@Suite("EnvelopeLifecycle paths")
struct EnvelopeLifecycleTests {
    static let envelope = EnvelopeID.generate()
    static let organisation = OrganisationID.generate()

    static func events(_ steps: [(EventType, Channel?)]) -> [StatusEvent] {
        let start = Date(timeIntervalSince1970: 1_750_000_000)
        return steps.enumerated().map { index, step in
            StatusEvent(envelopeID: envelope, organisationID: organisation, type: step.0, at: start.addingTimeInterval(Double(index)), channel: step.1)
        }
    }

    struct Path: Sendable, CustomTestStringConvertible {
        var name: String
        var steps: [(EventType, Channel?)]
        var final: LifecycleState
        var isOpen: Bool
        var isSettled: Bool
        var testDescription: String { name }
    }

    static let happyPaths: [Path] = [
        Path(name: "ePost delivered", steps: [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost)],
             final: LifecycleState(.delivered, .ePost, mailbox: true), isOpen: true, isSettled: false),
        Path(name: "ePost consulted", steps: [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.consulted, .ePost)],
             final: LifecycleState(.consulted, .ePost, mailbox: true, consulted: true), isOpen: false, isSettled: true),
        Path(name: "ePost not consulted", steps: [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.notConsulted, .ePost)],
             final: LifecycleState(.notConsulted, .ePost, mailbox: true), isOpen: true, isSettled: true),
        Path(name: "ePost consulted late", steps: [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.notConsulted, .ePost), (.consulted, .ePost)],
             final: LifecycleState(.consulted, .ePost, mailbox: true, consulted: true), isOpen: false, isSettled: true),
        Path(name: "ePost, print fallback, posted",
             steps: [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.routed, .physical), (.printed, .physical), (.posted, .physical)],
             final: LifecycleState(.posted, .physical, mailbox: true), isOpen: true, isSettled: true),
        Path(name: "ePost, not consulted, print fallback",
             steps: [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.notConsulted, .ePost), (.routed, .physical), (.printed, .physical)],
             final: LifecycleState(.printed, .physical, mailbox: true), isOpen: true, isSettled: false),
        Path(name: "eBill delivered", steps: [(.accepted, nil), (.routed, .eBill), (.delivered, .eBill)],
             final: LifecycleState(.delivered, .eBill), isOpen: false, isSettled: true),
        Path(name: "physical posted", steps: [(.accepted, nil), (.routed, .physical), (.printed, .physical), (.posted, .physical)],
             final: LifecycleState(.posted, .physical), isOpen: true, isSettled: true),
        Path(name: "physical posted without printed", steps: [(.accepted, nil), (.routed, .physical), (.posted, .physical)],
             final: LifecycleState(.posted, .physical), isOpen: true, isSettled: true),
        Path(name: "ePost, print fallback refused", steps: [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.routed, .physical), (.failed, .physical)],
             final: LifecycleState(.failed, .physical, mailbox: true), isOpen: false, isSettled: true),
        Path(name: "physical returned", steps: [(.accepted, nil), (.routed, .physical), (.printed, .physical), (.posted, .physical), (.returned, .physical)],
             final: LifecycleState(.returned, .physical), isOpen: false, isSettled: true),
        Path(name: "ePost refused, re-routed to print", steps: [(.accepted, nil), (.routed, .ePost), (.routed, .physical), (.printed, .physical)],
             final: LifecycleState(.printed, .physical), isOpen: true, isSettled: false),
        Path(name: "eBill refused, re-routed to ePost", steps: [(.accepted, nil), (.routed, .eBill), (.routed, .ePost), (.delivered, .ePost)],
             final: LifecycleState(.delivered, .ePost, mailbox: true), isOpen: true, isSettled: false),
        Path(name: "rejected", steps: [(.rejected, nil)], final: LifecycleState(.rejected), isOpen: false, isSettled: true),
        Path(name: "unreachable", steps: [(.accepted, nil), (.failed, nil)], final: LifecycleState(.failed), isOpen: false, isSettled: true),
        Path(name: "channel failed", steps: [(.accepted, nil), (.routed, .physical), (.failed, .physical)],
             final: LifecycleState(.failed, .physical), isOpen: false, isSettled: true),
        Path(name: "print failed", steps: [(.accepted, nil), (.routed, .physical), (.printed, .physical), (.failed, .physical)],
             final: LifecycleState(.failed, .physical), isOpen: false, isSettled: true),
        Path(name: "cancelled before routing", steps: [(.accepted, nil), (.cancelled, nil)], final: LifecycleState(.cancelled), isOpen: false, isSettled: true),
        Path(name: "cancelled after routing", steps: [(.accepted, nil), (.routed, .eBill), (.cancelled, nil)],
             final: LifecycleState(.cancelled, .eBill), isOpen: false, isSettled: true),
    ]

    @Test("happy paths replay to the expected state", arguments: happyPaths)
    func replay(_ path: Path) throws {
        let lifecycle = try EnvelopeLifecycle(replaying: Self.events(path.steps))
        #expect(LifecycleState(lifecycle) == path.final)
        #expect(lifecycle.isOpen == path.isOpen)
        #expect(lifecycle.isSettled == path.isSettled)
    }

    @Test("replaying equals applying one by one, and every prefix agrees with the design table", arguments: happyPaths)
    func replayMatchesApply(_ path: Path) throws {
        var stepwise = EnvelopeLifecycle()
        for (type, channel) in path.steps {
            #expect(LifecycleDesignTable.allows(LifecycleState(stepwise), type, channel))
            try stepwise.apply(type, channel: channel)
        }
        #expect(try EnvelopeLifecycle(replaying: Self.events(path.steps)) == stepwise)
    }

    @Test("replaying throws illegalTransition at the first illegal event")
    func replayStopsAtIllegalEvent() {
        let illegal: [[(EventType, Channel?)]] = [
            [(.routed, .ePost)],
            [(.accepted, nil), (.accepted, nil)],
            [(.accepted, nil), (.delivered, .ePost)],
            [(.accepted, nil), (.routed, .ePost), (.delivered, .eBill)],
            [(.accepted, nil), (.routed, .physical), (.delivered, .physical)],
            [(.accepted, nil), (.routed, .eBill), (.delivered, .eBill), (.notConsulted, .ePost)],
            [(.accepted, nil), (.routed, .physical), (.printed, .physical), (.posted, .physical), (.cancelled, nil)],
            [(.rejected, nil), (.accepted, nil)],
            [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.consulted, .ePost), (.consulted, .ePost)],
            [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.routed, .ePost)],
            [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.routed, .physical), (.consulted, .ePost)],
            [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.routed, .physical), (.printed, .physical), (.consulted, nil)],
            [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.routed, .physical), (.posted, .physical), (.returned, .physical), (.consulted, .ePost)],
            [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.routed, .eBill), (.delivered, .eBill), (.consulted, .ePost)],
            [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.consulted, .physical)],
            [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.notConsulted, .eBill)],
            [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.consulted, .ePost), (.routed, .physical)],
            [(.accepted, nil), (.routed, .eBill), (.delivered, .eBill), (.routed, .physical)],
            [(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.failed, nil)],
        ]
        for steps in illegal {
            let error = #expect(throws: MissiveError.self, "\(steps)") { try EnvelopeLifecycle(replaying: Self.events(steps)) }
            #expect(error?.code == .illegalTransition)
        }
    }

    @Test("an empty history is a new envelope")
    func emptyHistory() throws {
        let lifecycle = try EnvelopeLifecycle(replaying: [])
        #expect(lifecycle == EnvelopeLifecycle())
        #expect(lifecycle.status == nil)
        #expect(lifecycle.isOpen)
        #expect(!lifecycle.isSettled)
    }

    @Test("isOpen is false exactly for rejected, returned, failed, cancelled, consulted and a delivery not on ePost", arguments: [nil] + EnvelopeStatus.allCases.map(Optional.some))
    func isOpen(_ status: EnvelopeStatus?) {
        let closed: Set<EnvelopeStatus?> = [.rejected, .returned, .failed, .cancelled, .consulted]
        for channel in Channel.optionalCases {
            for mailbox in [false, true] {
                for consulted in [false, true] {
                    let lifecycle = EnvelopeLifecycle(status: status, channel: channel, deliveredToMailbox: mailbox, consulted: consulted)
                    let expected = status == .delivered ? channel == .ePost : !closed.contains(status)
                    #expect(lifecycle.isOpen == expected, "\(status?.rawValue ?? "new") on \(channel?.rawValue ?? "nil"), mailbox \(mailbox), consulted \(consulted)")
                }
            }
        }
    }

    @Test("isSettled: a definitive outcome; eBill delivered is settled, ePost delivered is not", arguments: [nil] + EnvelopeStatus.allCases.map(Optional.some))
    func isSettled(_ status: EnvelopeStatus?) {
        let settled: Set<EnvelopeStatus?> = [.rejected, .consulted, .notConsulted, .posted, .returned, .failed, .cancelled]
        let unsettled: Set<EnvelopeStatus?> = [nil, .accepted, .routed, .printed]
        for channel in Channel.optionalCases {
            let lifecycle = EnvelopeLifecycle(status: status, channel: channel, deliveredToMailbox: channel == .ePost)
            if status == .delivered {
                #expect(lifecycle.isSettled == (channel == .eBill))
            } else {
                #expect(settled.contains(status) != unsettled.contains(status))
                #expect(lifecycle.isSettled == settled.contains(status))
            }
        }
    }

    @Test("the error names the transition but no data")
    func errorReason() {
        var lifecycle = EnvelopeLifecycle(status: .posted, channel: .physical)
        let error = #expect(throws: MissiveError.self) { try lifecycle.apply(.delivered, channel: .ePost) }
        #expect(error?.code == .illegalTransition)
        #expect(error?.reason.contains("delivered") == true)
        #expect(error?.reason.contains("posted") == true)
        #expect(error?.file.hasSuffix("EnvelopeLifecycle.swift") == true)
    }
}
