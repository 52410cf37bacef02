import Foundation
import MissiveCore
import Testing

@Suite("OffsetWallClock")
struct OffsetWallClockTests {
    static let base = Date(timeIntervalSince1970: 1_750_000_000)

    @Test("now is the base plus the offset")
    func offset() {
        let clock = OffsetWallClock(offset: 60, base: { Self.base })
        #expect(clock.now() == Self.base.addingTimeInterval(60))
        #expect(clock.offsetSeconds == 60)
    }

    @Test("advance moves forward and accumulates")
    func advance() {
        let clock = OffsetWallClock(base: { Self.base })
        clock.advance(by: 7 * 86_400)
        clock.advance(by: 0.5)
        #expect(clock.offsetSeconds == 7 * 86_400 + 0.5)
        #expect(clock.now() == Self.base.addingTimeInterval(7 * 86_400 + 0.5))
    }

    @Test("advance never goes back", arguments: [-1.0, -86_400, -.infinity, .nan, 0] as [TimeInterval])
    func neverBack(_ amount: TimeInterval) {
        let clock = OffsetWallClock(offset: 100, base: { Self.base })
        clock.advance(by: amount)
        #expect(clock.offsetSeconds == 100)
        #expect(clock.now() == Self.base.addingTimeInterval(100))
    }

    @Test("concurrent advances all count")
    func concurrent() async {
        let clock = OffsetWallClock(base: { Self.base })
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<100 { group.addTask { clock.advance(by: 1) } }
        }
        #expect(clock.offsetSeconds == 100)
    }

    @Test("the default base follows the machine's clock")
    func systemBase() {
        let clock = OffsetWallClock(offset: 3600)
        let expected = Date().addingTimeInterval(3600)
        #expect(abs(clock.now().timeIntervalSince(expected)) < 5)
        #expect(abs(SystemWallClock().now().timeIntervalSinceNow) < 5)
    }
}
