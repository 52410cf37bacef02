import Foundation
import MissiveFuzzing
import Testing

/// Replays the fuzz corpus (`fuzz/corpus/<target>/`) and every crash input found and fixed
/// (`fuzz/crashes/<target>/`) through the same harnesses libFuzzer runs, without
/// instrumentation: each input must be accepted or refused with the component's own error,
/// never break an invariant (and, of course, never crash the test process).
@Suite("Fuzz corpus replay")
struct FuzzCorpusTests {
    /// The repository's `fuzz/` folder.
    static let fuzzFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz")

    static let targetNames = FuzzTargets.names

    /// The files of `fuzz/<kind>/<target>/`, sorted; none when the folder is absent.
    static func inputs(_ kind: String, _ target: String) -> [URL] {
        let folder = fuzzFolder.appendingPathComponent(kind).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { folder.appendingPathComponent($0) }
    }

    @Test("every target has a seed corpus", arguments: targetNames)
    func seeded(target: String) {
        #expect(!Self.inputs("corpus", target).isEmpty)
    }

    @Test("corpus and fixed crash inputs replay cleanly", arguments: targetNames)
    func replay(target: String) async throws {
        let harness = try #require(FuzzTargets.named(target))
        for file in Self.inputs("corpus", target) + Self.inputs("crashes", target) {
            let input = try [UInt8](Data(contentsOf: file))
            let outcome = await harness.run(input)
            #expect(outcome.isClean, "\(target)/\(file.lastPathComponent): \(outcome)")
        }
    }

    @Test("the seeds reach the accepting paths", arguments: targetNames)
    func seedsAccepted(target: String) async throws {
        let harness = try #require(FuzzTargets.named(target))
        var accepted = 0
        for file in Self.inputs("corpus", target) where await harness.run(try [UInt8](Data(contentsOf: file))) == .accepted {
            accepted += 1
        }
        #expect(accepted > 0, "no input of \(target) is accepted: the harness never reaches the component's success path")
    }

    @Test("an unknown target name finds nothing")
    func unknownTarget() {
        #expect(FuzzTargets.named("nope") == nil)
        #expect(Set(Self.targetNames).count == FuzzTargets.all.count)
    }
}
