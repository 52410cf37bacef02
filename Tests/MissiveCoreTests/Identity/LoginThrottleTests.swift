import Foundation
import MissiveCore
import Testing

extension IdentityTests {
    @Suite("LoginThrottle")
    struct LoginThrottleTests {
        let throttle = LoginThrottle()
        let last = Date(timeIntervalSince1970: 1_700_000_000)

        @Test("delays: none for 3 failures, then 2, 4, 8 … seconds, at most an hour")
        func delays() {
            let expected: [Int: TimeInterval] = [
                -1: 0, 0: 0, 1: 0, 2: 0, 3: 0, 4: 2, 5: 4, 6: 8, 7: 16, 10: 128, 14: 2048, 15: 3600, 19: 3600, 100: 3600, Int.max: 3600,
            ]
            for (failures, delay) in expected {
                #expect(throttle.delay(afterFailures: failures) == delay, "after \(failures) failures")
            }
        }

        @Test("the first three failures never make anyone wait")
        func freeFailures() {
            for failures in 0...3 {
                #expect(throttle.decision(failures: failures, lastFailureAt: last, now: last) == .allowed)
            }
            #expect(throttle.decision(failures: 0, lastFailureAt: nil, now: last) == .allowed)
        }

        @Test("after the 4th failure: wait 2 s from it, then go ahead")
        func backOff() {
            #expect(throttle.decision(failures: 4, lastFailureAt: last, now: last)
                == .retryAfter(seconds: 2, until: last.addingTimeInterval(2)))
            #expect(throttle.decision(failures: 4, lastFailureAt: last, now: last.addingTimeInterval(1.5))
                == .retryAfter(seconds: 1, until: last.addingTimeInterval(2)))
            #expect(throttle.decision(failures: 4, lastFailureAt: last, now: last.addingTimeInterval(1.999))
                == .retryAfter(seconds: 1, until: last.addingTimeInterval(2)))
            #expect(throttle.decision(failures: 4, lastFailureAt: last, now: last.addingTimeInterval(2)) == .allowed)
            #expect(throttle.decision(failures: 4, lastFailureAt: last, now: last.addingTimeInterval(3)) == .allowed)
        }

        @Test("retry-after rounds up to whole seconds")
        func roundsUp() {
            #expect(throttle.decision(failures: 10, lastFailureAt: last, now: last.addingTimeInterval(0.4))
                == .retryAfter(seconds: 128, until: last.addingTimeInterval(128)))
            #expect(throttle.decision(failures: 10, lastFailureAt: last, now: last.addingTimeInterval(127.0001))
                == .retryAfter(seconds: 1, until: last.addingTimeInterval(128)))
        }

        @Test("the wait is capped at an hour")
        func cap() {
            #expect(throttle.decision(failures: 19, lastFailureAt: last, now: last)
                == .retryAfter(seconds: 3600, until: last.addingTimeInterval(3600)))
            #expect(throttle.decision(failures: 19, lastFailureAt: last, now: last.addingTimeInterval(3600)) == .allowed)
        }

        @Test("20 failures lock the account, however long ago, until an admin resets the count")
        func lock() {
            #expect(throttle.decision(failures: 19, lastFailureAt: last, now: last.addingTimeInterval(86_400 * 365)) == .allowed)
            #expect(throttle.decision(failures: 20, lastFailureAt: last, now: last) == .locked)
            #expect(throttle.decision(failures: 20, lastFailureAt: last, now: last.addingTimeInterval(86_400 * 365)) == .locked)
            #expect(throttle.decision(failures: 21, lastFailureAt: nil, now: last) == .locked)
            #expect(throttle.decision(failures: Int.max, lastFailureAt: last, now: last) == .locked)
        }

        @Test("a clock that went back never makes the wait longer than the delay")
        func clockBack() {
            let now = last.addingTimeInterval(-600)
            #expect(throttle.decision(failures: 5, lastFailureAt: last, now: now)
                == .retryAfter(seconds: 4, until: now.addingTimeInterval(4)))
        }

        @Test("with no time for the last failure the attempt goes ahead (below the lock)")
        func noTime() {
            #expect(throttle.decision(failures: 10, lastFailureAt: nil, now: last) == .allowed)
        }

        @Test("configurable: no free failures, a 10 s cap, a lock at 5")
        func configured() {
            let strict = LoginThrottle(freeFailures: 0, maximumDelay: 10, lockAfter: 5)
            #expect(strict.delay(afterFailures: 1) == 2)
            #expect(strict.delay(afterFailures: 3) == 8)
            #expect(strict.delay(afterFailures: 4) == 10)
            #expect(strict.decision(failures: 0, lastFailureAt: last, now: last) == .allowed)
            #expect(strict.decision(failures: 1, lastFailureAt: last, now: last) == .retryAfter(seconds: 2, until: last.addingTimeInterval(2)))
            #expect(strict.decision(failures: 5, lastFailureAt: last, now: last) == .locked)
        }

        @Test("a back-off walk: each failure at the first allowed moment")
        func walk() {
            var now = last
            var waits: [Int] = []
            var failures = 0
            while true {
                switch throttle.decision(failures: failures, lastFailureAt: failures == 0 ? nil : now, now: now) {
                case .allowed:
                    failures += 1
                case .retryAfter(let seconds, let until):
                    waits.append(seconds)
                    #expect(until == now.addingTimeInterval(TimeInterval(seconds)))
                    #expect(throttle.decision(failures: failures, lastFailureAt: now, now: until) == .allowed)
                    now = until
                    failures += 1
                case .locked:
                    #expect(failures == 20)
                    #expect(waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600, 3600, 3600, 3600])
                    return
                }
            }
        }
    }
}
