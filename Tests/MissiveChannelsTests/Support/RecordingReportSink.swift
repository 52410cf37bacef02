import MissiveChannels
import MissiveCore
import Synchronization

/// Records partner reports; can refuse unknown envelopes or fail like a busy store.
final class RecordingReportSink: ChannelReportSink {
    /// One recorded report.
    struct Report: Sendable, Hashable {
        var type: EventType
        var envelope: EnvelopeID
        var channel: Channel
        var reason: Reason?
        var detail: [String: String]
    }

    private struct State {
        var reports: [Report] = []
        var unknown: Set<EnvelopeID> = []
        var failuresLeft = 0
    }

    private let state = Mutex(State())

    var reports: [Report] { state.withLock { $0.reports } }

    /// Reports for `envelope` throw `notFound`.
    func forget(_ envelope: EnvelopeID) {
        _ = state.withLock { $0.unknown.insert(envelope) }
    }

    /// The next `count` reports throw `unavailable` (as a busy store would).
    func failNext(_ count: Int) {
        state.withLock { $0.failuresLeft = count }
    }

    func recordReport(_ type: EventType, envelope id: EnvelopeID, channel: Channel, reason: Reason?, detail: [String: String]) async throws {
        try state.withLock { state in
            if state.unknown.contains(id) { throw MissiveError(.notFound, "No such envelope.") }
            if state.failuresLeft > 0 {
                state.failuresLeft -= 1
                throw MissiveError(.unavailable, "The store is busy.")
            }
            state.reports.append(Report(type: type, envelope: id, channel: channel, reason: reason, detail: detail))
        }
    }
}
