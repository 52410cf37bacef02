import MissiveCore
import Testing

@Suite("WakeSignal")
struct WakeSignalTests {
    static func timed(_ body: () async -> Void) async -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        await body()
        return clock.now - start
    }

    @Test("a signal before the wait makes it return at once")
    func signalBeforeWait() async {
        let signal = WakeSignal()
        signal.signal()
        let elapsed = await Self.timed { await signal.wait(timeout: .seconds(600)) }
        #expect(elapsed < .seconds(120))  // far below the timeout: it was the signal
    }

    @Test("without a signal the wait times out")
    func timeout() async {
        let signal = WakeSignal()
        let elapsed = await Self.timed { await signal.wait(timeout: .milliseconds(200)) }
        #expect(elapsed >= .milliseconds(190))
        #expect(elapsed < .seconds(120))
    }

    @Test("a signal during the wait wakes it")
    func signalDuringWait() async throws {
        let signal = WakeSignal()
        let elapsed = try await Self.timed {
            async let waited: Void = signal.wait(timeout: .seconds(600))
            try? await Task.sleep(for: .milliseconds(100))
            signal.signal()
            await waited
        }
        #expect(elapsed < .seconds(120))
    }

    @Test("signals coalesce: two signals release one wait, the next times out")
    func coalesce() async {
        let signal = WakeSignal()
        signal.signal()
        signal.signal()
        let first = await Self.timed { await signal.wait(timeout: .seconds(600)) }
        let second = await Self.timed { await signal.wait(timeout: .milliseconds(200)) }
        #expect(first < .seconds(120))
        #expect(second >= .milliseconds(190))
    }

    @Test("a timed-out wait leaves no signal behind")
    func noLeftoverAfterTimeout() async {
        let signal = WakeSignal()
        await signal.wait(timeout: .milliseconds(50))
        let elapsed = await Self.timed { await signal.wait(timeout: .milliseconds(200)) }
        #expect(elapsed >= .milliseconds(190))
    }

    @Test("a woken wait leaves no signal behind")
    func noLeftoverAfterSignal() async {
        let signal = WakeSignal()
        signal.signal()
        await signal.wait(timeout: .seconds(600))
        let elapsed = await Self.timed { await signal.wait(timeout: .milliseconds(200)) }
        #expect(elapsed >= .milliseconds(190))
    }

    @Test("a worker loop wakes once per signal burst")
    func loop() async {
        let signal = WakeSignal()
        for _ in 0..<20 {
            signal.signal()
            let elapsed = await Self.timed { await signal.wait(timeout: .seconds(600)) }
            #expect(elapsed < .seconds(120))  // far below the timeout: it was the signal
        }
    }
}
