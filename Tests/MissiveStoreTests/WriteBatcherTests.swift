import Foundation
import GRDB
import MissiveCore
@testable import MissiveStore
import Testing

/// The store's shared write transactions: writes waiting side by side commit together, and
/// one failing rolls back only its own savepoint.
@Suite("WriteBatcher")
struct WriteBatcherTests {
    @Test("concurrent writes all commit; a failing one leaves no trace and does not stop the others")
    func savepointsIsolateFailures() async throws {
        try await withStore { store throws in
            let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<40 {
                    group.addTask {
                        do {
                            try await store.write { db in
                                try db.execute(sql: "INSERT INTO settings(key, value) VALUES (?, 'x')", arguments: ["batch.\(index)"])
                                if index.isMultiple(of: 5) { throw MissiveError(.conflict, "refused") }
                            }
                            return (index, true)
                        } catch {
                            return (index, false)
                        }
                    }
                }
                var outcomes: [Int: Bool] = [:]
                for await (index, ok) in group { outcomes[index] = ok }
                return outcomes
            }
            for index in 0..<40 {
                #expect(outcomes[index] == !index.isMultiple(of: 5))
                #expect(try await store.setting("batch.\(index)") == (index.isMultiple(of: 5) ? nil : "x"))
            }
        }
    }

    @Test("a write returns its value, and what it wrote is visible once it returns")
    func valueAndVisibility() async throws {
        try await withStore { store throws in
            let changed = try await store.write { db -> Int in
                try db.execute(sql: "INSERT INTO settings(key, value) VALUES ('one', '1')")
                return db.changesCount
            }
            #expect(changed == 1)
            #expect(try await store.setting("one") == "1")
        }
    }
}
