/// One component's entry point for untrusted bytes, driven the way its adapter drives it,
/// with the component's promises checked afterwards.
///
/// The same ``run(_:)`` serves libFuzzer (the `missive-fuzz` executable, instrumented) and
/// the corpus replay in `swift test` (not instrumented), so a fixed crash stays fixed.
public protocol FuzzTarget: Sendable {
    /// The name used by `scripts/fuzz` and for the `fuzz/corpus/<name>/` folder.
    static var name: String { get }
    /// Feeds `input` to the component. Returns how it answered; a broken promise is
    /// ``FuzzOutcome/violation(_:)``, which the fuzzer turns into a crash.
    static func run(_ input: [UInt8]) async -> FuzzOutcome
}

/// How a component answered one input.
public enum FuzzOutcome: Sendable, Equatable {
    /// The input was read as valid.
    case accepted
    /// The input was refused with one of the component's own errors (the code or kind).
    case rejected(String)
    /// The component broke one of its promises; the text says which (structure only).
    case violation(String)

    /// True unless the outcome is a violation.
    public var isClean: Bool {
        if case .violation = self { return false }
        return true
    }
}

/// Every fuzz target, by name.
public enum FuzzTargets {
    /// The targets in the order `scripts/fuzz` runs them.
    public static let all: [any FuzzTarget.Type] = [
        MIMEReaderFuzzTarget.self,
        SMTPSessionFuzzTarget.self,
        SOAPEnvelopeFuzzTarget.self,
        FormDataFuzzTarget.self,
        TimeStampRequestFuzzTarget.self,
    ]

    /// The targets' names, in order.
    public static var names: [String] {
        all.map { $0.name }
    }

    /// The target called `name`, if any.
    public static func named(_ name: String) -> (any FuzzTarget.Type)? {
        all.first { $0.name == name }
    }
}
