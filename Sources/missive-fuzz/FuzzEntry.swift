import Foundation
import MissiveFuzzing

// libFuzzer calls `LLVMFuzzerTestOneInput` once per input. The target comes from
// MISSIVE_FUZZ_TARGET (scripts/fuzz sets it): mime, smtp, soap, form-data or timestamp.
// The code lives here, not in main.swift, where globals would be initialized by top-level
// code that never runs in the fuzz build.

/// The target chosen by MISSIVE_FUZZ_TARGET, looked up once.
let fuzzTarget: any FuzzTarget.Type = chosenTarget()

/// The target MISSIVE_FUZZ_TARGET names; exits at once when it names none.
func chosenTarget() -> any FuzzTarget.Type {
    let name = ProcessInfo.processInfo.environment["MISSIVE_FUZZ_TARGET"] ?? ""
    if let target = FuzzTargets.named(name) { return target }
    let names = FuzzTargets.names.joined(separator: ", ")
    FileHandle.standardError.write(Data("missive-fuzz: set MISSIVE_FUZZ_TARGET to one of: \(names)\n".utf8))
    exit(2)
}

/// Whether the global executor's jobs run on libFuzzer's thread (``InlineExecutor``).
let runsInline = InlineExecutor.install()

/// Where the task running one input leaves its outcome.
final class OutcomeBox: @unchecked Sendable {
    // Written by the input's task, read after it ended (the semaphore or the drain orders it).
    var outcome: FuzzOutcome?
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = Array(UnsafeRawBufferPointer(start: start, count: count))
    let target = fuzzTarget
    let box = OutcomeBox()
    if runsInline {
        Task { box.outcome = await target.run(input) }
        guard InlineExecutor.shared.drain(until: { box.outcome != nil }) else {
            report(target, "the harness waited for something outside the process")
        }
    } else {
        let done = DispatchSemaphore(value: 0)
        Task {
            box.outcome = await target.run(input)
            done.signal()
        }
        done.wait()
    }
    if case .violation(let reason)? = box.outcome { report(target, reason) }
    return 0
}

/// Reports a broken promise and crashes, so libFuzzer keeps the input.
func report(_ target: any FuzzTarget.Type, _ reason: String) -> Never {
    FileHandle.standardError.write(Data("missive-fuzz: \(target.name): \(reason)\n".utf8))
    abort()
}
