import Foundation
import HTTPTypes
import Hummingbird
import MissiveCore
import NIOCore

/// The SOAP endpoint on the hub's HTTP server: `POST /soap`, the WSDL at `GET /soap?wsdl`
/// and its schema at `GET /soap/missive.xsd` (both from `wsdl/`, the single source).
public enum SOAPRoutes {
    /// The contract files, as shipped with the binary.
    static func contract(_ name: String) -> String? {
        let bases = [Bundle.module.resourceURL, Bundle.module.bundleURL].compactMap { $0 }
        for base in bases {
            let url = base.appendingPathComponent("Resources").appendingPathComponent(name)
            if let text = try? String(contentsOf: url, encoding: .utf8) { return text }
        }
        return nil
    }

    public static func register<Context: RequestContext>(on router: Hummingbird.Router<Context>, endpoint: SOAPEndpoint) {
        router.get("/soap") { request, _ -> Response in
            guard request.uri.queryParameters.has("wsdl") || request.uri.query?.lowercased() == "wsdl" else {
                // GET serves only the WSDL; operations are POSTed.
                return Response(status: .methodNotAllowed, headers: [.allow: "GET, POST"])
            }
            return try wsdlResponse(request)
        }
        router.get("/soap/missive.wsdl") { request, _ -> Response in
            try wsdlResponse(request)
        }
        for method in [HTTPRequest.Method.put, .delete, .patch] {
            router.on("/soap", method: method) { _, _ -> Response in
                Response(status: .methodNotAllowed, headers: [.allow: "GET, POST"])
            }
        }
        router.get("/soap/missive.xsd") { _, _ -> Response in
            guard let xsd = contract("missive.xsd") else { throw HTTPError(.notFound) }
            return Response(status: .ok, headers: [.contentType: "text/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: xsd)))
        }
        router.post("/soap") { request, _ -> Response in
            let contentType = request.headers[.contentType] ?? ""
            let action = request.headers[HTTPField.Name("SOAPAction")!] ?? SOAPEndpoint.parameter("action", of: contentType)
            let reply = await endpoint.handle(contentType: contentType, action: action, basic: Self.basic(request.headers[.authorization]), body: request.body.map { ArraySlice($0.readableBytesView) })
            var headers: HTTPFields = [.contentType: reply.contentType]
            for (name, value) in reply.headers {
                if let field = HTTPField.Name(name) { headers[field] = value }
            }
            return Response(status: .init(code: reply.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: reply.body)))
        }
    }

    /// The WSDL with its addresses pointed at the server the client used (`https` behind a
    /// proxy that says `X-Forwarded-Proto: https`).
    static func wsdlResponse(_ request: Request) throws -> Response {
        guard var wsdl = contract("missive.wsdl") else { throw HTTPError(.notFound) }
        if let host = request.head.authority {
            let forwarded = request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased()
            let scheme = forwarded == "https" ? "https" : "http"
            wsdl = wsdl.replacingOccurrences(of: "http://127.0.0.1:8080/soap", with: "\(scheme)://\(host)/soap")
            // "missive.xsd" would resolve against /soap?wsdl to /missive.xsd: make it absolute.
            wsdl = wsdl.replacingOccurrences(of: "schemaLocation=\"missive.xsd\"", with: "schemaLocation=\"\(scheme)://\(host)/soap/missive.xsd\"")
        }
        return Response(status: .ok, headers: [.contentType: "text/xml; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: wsdl)))
    }

    /// Username and password of HTTP Basic.
    static func basic(_ header: String?) -> (String, String)? {
        guard let header, header.lowercased().hasPrefix("basic "),
              let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
}
