import MissiveCore
import Testing

@Suite("EnvelopeLifecycle, exhaustively against the design table")
struct EnvelopeLifecycleTableTests {
    static let eventChannels: [Channel?] = Channel.optionalCases

    @Test("isAllowed and apply agree with the design table for all 192 states", arguments: EventType.allCases, eventChannels)
    func everyCombination(event: EventType, channel: Channel?) {
        for state in LifecycleState.all {
            let lifecycle = state.lifecycle
            let allowed = lifecycle.isAllowed(event, channel: channel)
            let context: Comment = "\(state.testDescription) + \(event.rawValue) on \(channel?.rawValue ?? "nil")"

            // apply does exactly what isAllowed says, and never half-applies.
            var applied = lifecycle
            do throws(MissiveError) {
                try applied.apply(event, channel: channel)
                #expect(allowed, context)
                #expect(LifecycleState(applied) == state.after(event, on: channel), context)
            } catch {
                #expect(!allowed, context)
                #expect(error.code == .illegalTransition, context)
                #expect(applied == lifecycle, context)
            }

            // And isAllowed matches the design, in every state (unreachable ones included).
            #expect(allowed == LifecycleDesignTable.allows(state, event, channel), context)
        }
    }

    @Test("every row of the design table is used from some reachable state")
    func everyRowUsed() {
        for row in LifecycleDesignTable.rows {
            let used = LifecycleDesignTable.designReachable.contains { state in
                row.from(state) && row.channels.contains { LifecycleDesignTable.allows(state, row.event, $0) }
            }
            #expect(used, "\(row.event.rawValue): \(row.why)")
        }
    }

    @Test("the design and the implementation reach the same states")
    func designStatesAreImplementationStates() {
        #expect(LifecycleDesignTable.designReachable == LifecycleDesignTable.implementationReachable)
        #expect(LifecycleDesignTable.designReachable.count == 29)
        // A refused print fallback of a mailbox letter ends failed with the mailbox flag kept.
        #expect(LifecycleDesignTable.designReachable.contains(LifecycleState(.failed, .physical, mailbox: true)))
        #expect(LifecycleDesignTable.designReachable.contains(LifecycleState(.failed, .eBill, mailbox: true)))
        // Consulted only ever follows the mailbox route.
        let consulted = LifecycleDesignTable.designReachable.filter { $0.status == .consulted }
        #expect(consulted == [LifecycleState(.consulted, .ePost, mailbox: true, consulted: true)])
    }

    @Test("isOpen is false exactly when no event can follow (per the implementation's own isAllowed)")
    func isOpenMeansSomethingCanFollow() {
        for state in LifecycleDesignTable.implementationReachable.sorted(by: { $0.testDescription < $1.testDescription }) {
            let lifecycle = state.lifecycle
            let canContinue = EventType.allCases.contains { event in
                Channel.optionalCases.contains { lifecycle.isAllowed(event, channel: $0) }
            }
            #expect(lifecycle.isOpen == canContinue, "\(state.testDescription)")
        }
    }

    // MARK: Former divergences, now the intended behaviour

    @Test("a returned print fallback cannot be consulted: the envelope stays closed")
    func consultedAfterReturned() throws {
        var lifecycle = try EnvelopeLifecycle(replaying: EnvelopeLifecycleTests.events([
            (.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.routed, .physical), (.printed, .physical), (.posted, .physical), (.returned, .physical),
        ]))
        #expect(!lifecycle.isOpen)
        #expect(lifecycle.deliveredToMailbox)
        for channel in Channel.optionalCases {
            #expect(!lifecycle.isAllowed(.consulted, channel: channel))
        }
        let before = lifecycle
        let error = #expect(throws: MissiveError.self) { try lifecycle.apply(.consulted, channel: .ePost) }
        #expect(error?.code == .illegalTransition)
        #expect(lifecycle == before)
        #expect(!lifecycle.isOpen)
    }

    @Test("opening the mailbox letter during a print fallback is no event; the partner's posted stays legal")
    func consultedDuringPrintFallback() throws {
        var lifecycle = try EnvelopeLifecycle(replaying: EnvelopeLifecycleTests.events([
            (.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.notConsulted, .ePost), (.routed, .physical), (.printed, .physical),
        ]))
        #expect(!lifecycle.isAllowed(.consulted, channel: .ePost))
        #expect(!lifecycle.isAllowed(.consulted, channel: nil))
        let error = #expect(throws: MissiveError.self) { try lifecycle.apply(.consulted, channel: .ePost) }
        #expect(error?.code == .illegalTransition)
        #expect(!lifecycle.consulted)
        #expect(lifecycle.isAllowed(.posted, channel: .physical))
        try lifecycle.apply(.posted, channel: .physical)
        #expect(LifecycleState(lifecycle) == LifecycleState(.posted, .physical, mailbox: true))
        // Not while merely routed to print either.
        let routed = try EnvelopeLifecycle(replaying: EnvelopeLifecycleTests.events([
            (.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.routed, .physical),
        ]))
        #expect(!routed.isAllowed(.consulted, channel: .ePost))
    }

    @Test("consulted and not_consulted refuse an eBill or physical event channel")
    func mailboxEventsNeedMailboxChannel() throws {
        let delivered = try EnvelopeLifecycle(replaying: EnvelopeLifecycleTests.events([(.accepted, nil), (.routed, .ePost), (.delivered, .ePost)]))
        let unopened = try EnvelopeLifecycle(replaying: EnvelopeLifecycleTests.events([(.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.notConsulted, .ePost)]))
        for channel: Channel? in [.eBill, .physical] {
            #expect(!delivered.isAllowed(.consulted, channel: channel))
            #expect(!delivered.isAllowed(.notConsulted, channel: channel))
            #expect(!unopened.isAllowed(.consulted, channel: channel))
        }
        for channel: Channel? in [nil, .ePost] {
            #expect(delivered.isAllowed(.consulted, channel: channel))
            #expect(delivered.isAllowed(.notConsulted, channel: channel))
            #expect(unopened.isAllowed(.consulted, channel: channel))
        }
    }

    @Test("a refused print fallback records failed although the letter is in the mailbox (intended)")
    func failedAfterMailboxDelivery() throws {
        var lifecycle = try EnvelopeLifecycle(replaying: EnvelopeLifecycleTests.events([
            (.accepted, nil), (.routed, .ePost), (.delivered, .ePost), (.routed, .physical),
        ]))
        #expect(lifecycle.deliveredToMailbox)
        #expect(lifecycle.isAllowed(.failed, channel: .physical))
        try lifecycle.apply(.failed, channel: .physical)
        #expect(LifecycleState(lifecycle) == LifecycleState(.failed, .physical, mailbox: true))
        #expect(!lifecycle.isOpen)
        #expect(lifecycle.isSettled)
        // But a mailbox letter that is the current route cannot fail.
        let delivered = try EnvelopeLifecycle(replaying: EnvelopeLifecycleTests.events([(.accepted, nil), (.routed, .ePost), (.delivered, .ePost)]))
        #expect(!delivered.isAllowed(.failed, channel: .ePost))
        #expect(!delivered.isAllowed(.failed, channel: nil))
    }

    @Test("a partner may report posted straight after routed (intended)")
    func postedWithoutPrinted() throws {
        var lifecycle = try EnvelopeLifecycle(replaying: EnvelopeLifecycleTests.events([(.accepted, nil), (.routed, .physical)]))
        #expect(lifecycle.isAllowed(.posted, channel: .physical))
        #expect(!lifecycle.isAllowed(.posted, channel: nil))
        #expect(!lifecycle.isAllowed(.posted, channel: .ePost))
        try lifecycle.apply(.posted, channel: .physical)
        #expect(LifecycleState(lifecycle) == LifecycleState(.posted, .physical))
        #expect(lifecycle.isAllowed(.returned, channel: .physical))
        // Not on a digital route.
        let ePost = try EnvelopeLifecycle(replaying: EnvelopeLifecycleTests.events([(.accepted, nil), (.routed, .ePost)]))
        #expect(!ePost.isAllowed(.posted, channel: .physical))
    }
}
