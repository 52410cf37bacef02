/// The two SOAP versions Missive speaks on the same endpoint.
public enum SOAPVersion: String, Sendable, Hashable, CaseIterable {
    case soap11 = "1.1"
    case soap12 = "1.2"

    /// The envelope namespace.
    public var namespace: String {
        switch self {
        case .soap11: "http://schemas.xmlsoap.org/soap/envelope/"
        case .soap12: "http://www.w3.org/2003/05/soap-envelope"
        }
    }

    /// The media type of requests and responses.
    public var mediaType: String {
        switch self {
        case .soap11: "text/xml"
        case .soap12: "application/soap+xml"
        }
    }

    /// The version a Content-Type announces (`text/xml` → 1.1, `application/soap+xml` → 1.2),
    /// also inside an MTOM `multipart/related; type="application/xop+xml"; start-info="…"`.
    public static func announced(byContentType contentType: String) -> SOAPVersion? {
        let lowered = contentType.lowercased()
        if lowered.hasPrefix("multipart/related") {
            if lowered.contains("start-info=\"application/soap+xml") || lowered.contains("start-info=application/soap+xml") { return .soap12 }
            if lowered.contains("start-info=\"text/xml") || lowered.contains("start-info=text/xml") { return .soap11 }
            return nil
        }
        if lowered.hasPrefix("application/soap+xml") { return .soap12 }
        if lowered.hasPrefix("text/xml") { return .soap11 }
        return nil
    }

    /// The version of an envelope namespace.
    public init?(namespace: String) {
        guard let version = Self.allCases.first(where: { $0.namespace == namespace }) else { return nil }
        self = version
    }
}
