/// Writes SOAP responses and faults for either version. Element content is escaped; faults
/// carry Missive's stable code in `detail/m:fault` (1.1) or a `Subcode` plus detail (1.2).
public struct SOAPWriter: Sendable {
    public let version: SOAPVersion

    public init(version: SOAPVersion) {
        self.version = version
    }

    /// A response whose Body holds `payload` (already serialised XML).
    public func envelope(body payload: String, header: String = "") -> String {
        let head = header.isEmpty ? "" : "<soap:Header>\(header)</soap:Header>"
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"\(version.namespace)\" xmlns:m=\"\(SOAPRequestReader.namespace)\">\(head)<soap:Body>\(payload)</soap:Body></soap:Envelope>"
    }

    /// The SOAP 1.2 `Upgrade` header block a VersionMismatch fault carries (SOAP 1.2 part 1
    /// §5.4.7 and appendix A): the envelope versions this endpoint speaks, preferred first.
    static let upgrade = "<upg:Upgrade xmlns:upg=\"\(SOAPVersion.soap12.namespace)\"><upg:SupportedEnvelope qname=\"v12:Envelope\" xmlns:v12=\"\(SOAPVersion.soap12.namespace)\"/><upg:SupportedEnvelope qname=\"v11:Envelope\" xmlns:v11=\"\(SOAPVersion.soap11.namespace)\"/></upg:Upgrade>"


    /// A fault envelope.
    public func fault(_ fault: SOAPFault) -> String {
        let detail = "<m:fault><m:code>\(Self.escape(fault.code))</m:code><m:text>\(Self.escape(fault.text))</m:text></m:fault>"
        switch version {
        case .soap11:
            let code = switch fault.kind {
            case .client: "soap:Client"
            case .server: "soap:Server"
            case .versionMismatch: "soap:VersionMismatch"
            case .mustUnderstand: "soap:MustUnderstand"
            }
            return envelope(body: "<soap:Fault><faultcode>\(code)</faultcode><faultstring>\(Self.escape(fault.text))</faultstring><detail>\(detail)</detail></soap:Fault>", header: fault.kind == .versionMismatch ? Self.upgrade : "")
        case .soap12:
            let code = switch fault.kind {
            case .client: "soap:Sender"
            case .server: "soap:Receiver"
            case .versionMismatch: "soap:VersionMismatch"
            case .mustUnderstand: "soap:MustUnderstand"
            }
            return envelope(body: "<soap:Fault><soap:Code><soap:Value>\(code)</soap:Value><soap:Subcode><soap:Value>m:\(Self.escape(fault.code))</soap:Value></soap:Subcode></soap:Code><soap:Reason><soap:Text xml:lang=\"en\">\(Self.escape(fault.text))</soap:Text></soap:Reason><soap:Detail>\(detail)</soap:Detail></soap:Fault>", header: fault.kind == .versionMismatch ? Self.upgrade : "")
        }
    }

    /// Escapes text for element content and attribute values; drops characters XML 1.0
    /// cannot carry.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                let value = scalar.value
                if value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value) || (0xE000...0xFFFD).contains(value) || value >= 0x10000 {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// `<m:name>escaped</m:name>`, or nothing for nil.
    public static func element(_ name: String, _ value: String?) -> String {
        guard let value else { return "" }
        return "<m:\(name)>\(escape(value))</m:\(name)>"
    }
}
