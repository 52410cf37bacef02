import Testing

@testable import MissiveCore

@Suite("Channel gate")
struct ChannelGateTests {
    @Test("each channel gets at most `limit` places; a full channel does not hold back another; a place given back is free again")
    func perChannelLimit() {
        let gate = ChannelGate(limit: 2)
        #expect(gate.tryEnter(.eBill))
        #expect(gate.tryEnter(.eBill))
        #expect(!gate.tryEnter(.eBill))
        #expect(gate.count(.eBill) == 2)
        #expect(gate.tryEnter(.ePost))
        #expect(gate.tryEnter(.physical))
        gate.leave(.eBill)
        #expect(gate.count(.eBill) == 1)
        #expect(gate.tryEnter(.eBill))
        #expect(!gate.tryEnter(.eBill))
    }

    @Test("a limit below one is one")
    func atLeastOne() {
        let gate = ChannelGate(limit: 0)
        #expect(gate.limit == 1)
        #expect(gate.tryEnter(.physical))
        #expect(!gate.tryEnter(.physical))
    }
}
