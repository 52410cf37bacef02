import Testing

@testable import MissiveCore

@Suite("Admission control")
struct AdmissionTests {
    @Test("below the bound letters pass; at it they are refused as busy with Retry-After, and counted")
    func bound() throws {
        let admission = Admission(limit: 100, retryAfter: 2)
        admission.update(backlog: 99)
        try admission.check()
        #expect(!admission.isSaturated)
        admission.update(backlog: 100)
        #expect(admission.isSaturated)
        let error = #expect(throws: MissiveError.self) { try admission.check() }
        #expect(error?.code == .busy)
        #expect(error?.retryAfter == 2)
        #expect(error?.reason.contains("100") == true)
        #expect(admission.refused == 1)
        // Worked off: accepted again.
        admission.update(backlog: 3)
        try admission.check()
        #expect(admission.refused == 1)
    }

    @Test("no bound (nil or 0) never refuses")
    func unbounded() throws {
        for admission in [Admission(limit: nil), Admission(limit: 0)] {
            admission.update(backlog: 1_000_000)
            try admission.check()
            #expect(admission.limit == nil)
            #expect(!admission.isSaturated)
        }
    }
}
