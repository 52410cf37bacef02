import Foundation
import MissiveCore
import Testing

@Suite("RetryPolicy")
struct RetryPolicyTests {
    static let policies: [RetryPolicy] = [
        .channels, .webhooks,
        RetryPolicy(base: 1, factor: 3, cap: 100, maxAttempts: 8),
        RetryPolicy(base: 0.5, cap: 0.5, maxAttempts: 3),
    ]

    @Test("each delay is the exponential times a 0.8–1.2 jitter, then capped", arguments: policies)
    func bounds(_ policy: RetryPolicy) {
        for attempt in 1..<policy.maxAttempts {
            let raw = policy.base * pow(policy.factor, Double(attempt - 1))
            for _ in 0..<200 {
                let delay = policy.delay(afterAttempt: attempt)
                #expect(delay != nil)
                guard let delay else { continue }
                #expect(delay >= min(policy.cap, raw * 0.8) - 1e-9, "attempt \(attempt)")
                #expect(delay <= min(policy.cap, raw * 1.2) + 1e-9, "attempt \(attempt)")
                #expect(delay <= policy.cap, "attempt \(attempt): never above the cap")
            }
        }
    }

    @Test("the jitter is applied before the cap: near the cap some delays are exactly the cap")
    func jitterBeforeCap() {
        // Attempt 9 of .channels: 2560 s nominal, 2048–3072 s, below the cap.
        let below = (0..<200).compactMap { _ in RetryPolicy.channels.delay(afterAttempt: 9) }
        #expect(below.allSatisfy { (2048.0...3072.0).contains($0) })
        // Attempt 10: 5120 s nominal; even 0.8 × 5120 exceeds the cap, so always the cap.
        let capped = (0..<200).compactMap { _ in RetryPolicy.channels.delay(afterAttempt: 10) }
        #expect(capped.count == 200)
        #expect(capped.allSatisfy { $0 == 3600 })
        // A policy whose nominal equals the cap: jitter up is cut off, jitter down is kept.
        let atCap = RetryPolicy(base: 100, cap: 100, maxAttempts: 3)
        let delays = (0..<500).compactMap { _ in atCap.delay(afterAttempt: 1) }
        #expect(delays.allSatisfy { (80.0...100.0).contains($0) })
        #expect(delays.contains(100))
        #expect(delays.contains { $0 < 90 })
    }

    @Test("the jitter is spread, not constant")
    func jitterVaries() {
        let delays = (0..<500).compactMap { _ in RetryPolicy.channels.delay(afterAttempt: 3) }
        #expect(delays.count == 500)
        #expect(Set(delays).count > 100)
        #expect(delays.min()! < 40 * 0.85)
        #expect(delays.max()! > 40 * 1.15)
    }

    @Test("nil once attempts are exhausted", arguments: policies)
    func exhausted(_ policy: RetryPolicy) {
        #expect(policy.delay(afterAttempt: policy.maxAttempts - 1) != nil)
        #expect(policy.delay(afterAttempt: policy.maxAttempts) == nil)
        #expect(policy.delay(afterAttempt: policy.maxAttempts + 1) == nil)
        #expect(policy.delay(afterAttempt: Int.max) == nil)
    }

    @Test("the first retry waits about base; attempt 0 or less counts as the first")
    func firstDelay() {
        for attempt in [-5, 0, 1] {
            let delay = RetryPolicy.channels.delay(afterAttempt: attempt)!
            #expect((8.0...12.0).contains(delay))
        }
    }

    @Test("the default schedules double up to their cap")
    func defaults() {
        #expect(RetryPolicy.channels == RetryPolicy(base: 10, factor: 2, cap: 3600, maxAttempts: 12))
        #expect(RetryPolicy.webhooks == RetryPolicy(base: 5, factor: 2, cap: 7200, maxAttempts: 15))
        // Late attempts sit exactly at the cap, never beyond it.
        let late = (0..<100).compactMap { _ in RetryPolicy.channels.delay(afterAttempt: 11) }
        #expect(late.count == 100)
        #expect(late.allSatisfy { $0 == 3600 })
    }

    @Test("total waiting of the default schedules (nominal, without jitter)")
    func totals() {
        func nominalTotal(_ policy: RetryPolicy) -> Double {
            (1..<policy.maxAttempts).reduce(0) { $0 + min(policy.cap, policy.base * pow(policy.factor, Double($1 - 1))) }
        }
        // 10+20+…+2560 = 5110 s, then 2 × 3600 s: about 3.4 hours, as the doc comment says.
        #expect(nominalTotal(.channels) == 12_310)
        // 5+10+…+5120 = 10235 s, then 3 × 7200 s: about 8.8 hours, as the doc comment says.
        #expect(nominalTotal(.webhooks) == 31_835)
    }
}
