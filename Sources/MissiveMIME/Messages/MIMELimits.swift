/// Bounds that keep a ``MIMEStreamReader`` within a fixed amount of memory and work, whatever
/// the message claims.
public struct MIMELimits: Sendable, Equatable {
    /// The largest header block (the top-level one or a part's), line breaks included.
    public var maxHeaderBytes: Int
    /// The most fields in one header block.
    public var maxHeaderFields: Int
    /// The deepest nesting of `multipart/*` containers (the top-level multipart counts as 1).
    public var maxDepth: Int
    /// The most leaf parts (non-multipart parts) in a message.
    public var maxParts: Int
    /// The longest header line, and the longest line that may still be a boundary delimiter.
    /// Body lines of a part may be longer: they stream through.
    public var maxLineBytes: Int
    /// The longest `boundary` parameter accepted. RFC 2046 allows 70 characters; some
    /// generators exceed that, so the default leaves room.
    public var maxBoundaryLength: Int

    /// Limits with the defaults documented on each property.
    public init(
        maxHeaderBytes: Int = 64 * 1024,
        maxHeaderFields: Int = 500,
        maxDepth: Int = 10,
        maxParts: Int = 200,
        maxLineBytes: Int = 16 * 1024,
        maxBoundaryLength: Int = 200
    ) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderFields = maxHeaderFields
        self.maxDepth = maxDepth
        self.maxParts = maxParts
        self.maxLineBytes = maxLineBytes
        self.maxBoundaryLength = maxBoundaryLength
    }
}
