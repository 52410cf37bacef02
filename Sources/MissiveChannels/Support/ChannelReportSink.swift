import MissiveCore

/// Where channel partners' reports (printed, posted, returned) are recorded.
///
/// ``PostOffice`` is the production sink; tests record into a fake.
public protocol ChannelReportSink: Sendable {
    /// Records a status reported by a channel partner. Throws `notFound` for an unknown
    /// envelope; a report that may not follow the envelope's state is ignored.
    func recordReport(_ type: EventType, envelope id: EnvelopeID, channel: Channel, reason: Reason?, detail: [String: String]) async throws
}

/// The post office records partner reports as status events of the envelope.
extension PostOffice: ChannelReportSink {}
