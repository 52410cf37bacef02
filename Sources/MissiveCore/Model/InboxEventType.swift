/// Webhook messages about an organisation's business inbox (beside the `envelope.*` status
/// events of the letters it sends). A subscription receives them only when it lists them.
public enum InboxEventType: String, Sendable, Hashable, Codable, CaseIterable {
    /// A live letter was placed in the organisation's business inbox.
    case letterReceived = "letter.received"
}
