import Foundation

/// The status of an envelope: the type of its latest status-changing event.
public enum EnvelopeStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case accepted, rejected, routed, delivered, consulted
    case notConsulted = "not_consulted"
    case printed, posted, returned, failed, cancelled
}

/// The kinds of status event (DESIGN §4). Every event type is also the status it leads to.
public typealias EventType = EnvelopeStatus

/// One append-only status event of an envelope.
public struct StatusEvent: Sendable, Hashable, Codable {
    public var id: EventID
    public var envelopeID: EnvelopeID
    public var organisationID: OrganisationID
    public var type: EventType
    public var at: Date
    public var channel: Channel?
    public var reason: Reason?
    /// Raw detail from the channel (print job id, network reference…); never content.
    public var detail: [String: String]

    public init(id: EventID? = nil, envelopeID: EnvelopeID, organisationID: OrganisationID, type: EventType, at: Date, channel: Channel? = nil, reason: Reason? = nil, detail: [String: String] = [:]) {
        self.id = id ?? EventID.generate(at: at)
        self.envelopeID = envelopeID
        self.organisationID = organisationID
        self.type = type
        self.at = at
        self.channel = channel
        self.reason = reason
        self.detail = detail
    }
}
