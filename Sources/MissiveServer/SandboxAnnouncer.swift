import Foundation
import Logging
import Synchronization

/// Writes `sandbox.json` and prints the banner once every listener is up.
final class SandboxAnnouncer: Sendable {
    private struct State {
        var httpURL: String?
        var smtp: SandboxSeed.SMTPInfo?
        var trustAnchor: String?
        var done = false
    }

    let seed: SandboxSeed?
    let folder: URL
    let waitsForSMTP: Bool
    let logger: Logger
    private let state = Mutex(State())

    init(seed: SandboxSeed?, folder: URL, waitsForSMTP: Bool, logger: Logger) {
        self.seed = seed
        self.folder = folder
        self.waitsForSMTP = waitsForSMTP
        self.logger = logger
    }

    func http(_ url: String) {
        announce { $0.httpURL = url }
    }

    func smtp(_ info: SandboxSeed.SMTPInfo) {
        announce { $0.smtp = info }
    }

    /// The root certificate that verifies the sandbox's seals and timestamps (known before
    /// anything listens).
    func trustAnchor(_ path: String) {
        state.withLock { $0.trustAnchor = path }
    }

    private func announce(_ update: (inout State) -> Void) {
        let ready: (String, SandboxSeed.SMTPInfo?, String?)? = state.withLock { state in
            update(&state)
            guard !state.done, let url = state.httpURL, !waitsForSMTP || state.smtp != nil else { return nil }
            state.done = true
            return (url, state.smtp, state.trustAnchor)
        }
        guard let seed, let (url, smtp, trustAnchor) = ready else { return }
        do { try seed.write(to: folder, httpURL: url, smtp: smtp, trustAnchor: trustAnchor) } catch { logger.error("could not write sandbox.json") }
        print(seed.banner(httpURL: url, file: folder.appendingPathComponent("sandbox.json"), smtp: smtp))
        fflush(nil)
    }
}
