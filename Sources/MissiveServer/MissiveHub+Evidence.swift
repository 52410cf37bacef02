import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import MissiveCore
import MissiveEvidence
import NIOCore
import NIOHTTP1
import SwiftASN1
import X509

/// The operator's seal with a timestamp authority (built in, or an external one): every
/// record and accepted document is sealed as CAdES-B-T (the signature timestamped).
struct CAdESEvidenceSealer: EvidenceSealer {
    let sealer: CAdESSeal
    let stamper: any TimeStamper

    func seal(_ content: Data, at date: Date) async throws -> Data {
        Data(try await sealer.seal(content, at: date, timeStampedBy: stamper))
    }

    func seal(sha256 digest: [UInt8], at date: Date) async throws -> Data {
        Data(try await sealer.seal(sha256: digest, at: date, timeStampedBy: stamper))
    }
}

extension MissiveHub {
    /// What stamps the seals: the configured external TSA (its tokens checked against
    /// `timeStampTrustAnchor`), or the built-in one. Returns the stamper and the roots its
    /// tokens chain to.
    static func timeStamper(_ configuration: MissiveConfiguration, builtIn: TimeStampAuthority, root: Certificate, httpClient: HTTPClient, logger: Logger) throws -> (any TimeStamper, [Certificate]) {
        guard let raw = configuration.timeStampURL else { return (builtIn, [root]) }
        guard let url = URL(string: raw), url.scheme == "https" || (url.scheme == "http" && (configuration.sandbox || configuration.allowPlainHTTPWebhooks)), url.host != nil else {
            throw MissiveError(.invalidField, "timeStampURL must be an https:// URL (http:// only in the sandbox).")
        }
        guard let anchorFile = configuration.timeStampTrustAnchor else {
            throw MissiveError(.invalidField, "timeStampTrustAnchor (the external TSA's root certificate, PEM) is required with timeStampURL.")
        }
        let anchors = try certificates(inPEMFile: anchorFile)
        let password = configuration.timeStampPassword ?? ProcessInfo.processInfo.environment["MISSIVE_TSA_PASSWORD"]
        let authorization = configuration.timeStampUsername.map { user in
            "Basic " + Data("\(user):\(password ?? "")".utf8).base64EncodedString()
        }
        logger.info("seals are time-stamped by an external TSA", metadata: ["missive.tsa.host": "\(url.host ?? "")"])
        let client = TimeStampClient(trustAnchors: anchors) { request in
            var http = HTTPClientRequest(url: raw)
            http.method = .POST
            http.headers.add(name: "Content-Type", value: "application/timestamp-query")
            if let authorization { http.headers.add(name: "Authorization", value: authorization) }
            http.body = .bytes(ByteBuffer(bytes: request))
            let response = try await httpClient.execute(http, timeout: .seconds(15))
            guard response.status == .ok else {
                throw MissiveError(.unavailable, "The time-stamp authority answered HTTP \(response.status.code).")
            }
            return Array(buffer: try await response.body.collect(upTo: 256 * 1024))
        }
        return (client, anchors)
    }

    /// Every certificate of a PEM file (a root, or a bundle).
    public static func certificates(inPEMFile path: String) throws -> [Certificate] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw MissiveError(.notFound, "Cannot read the certificate file \(path).")
        }
        do {
            let certificates = try PEMDocument.parseMultiple(pemString: text).map { try Certificate(pemDocument: $0) }
            guard !certificates.isEmpty else { throw MissiveError(.invalidField, "\(path) holds no certificate.") }
            return certificates
        } catch let error as MissiveError {
            throw error
        } catch {
            throw MissiveError(.invalidField, "\(path) is not a PEM certificate file.")
        }
    }

    /// The evidence keys: configured (`evidenceKeysFolder`), or made once for the sandbox in
    /// `DATA/evidence/` (a local root, a seal certificate and a TSA certificate).
    static func evidenceKeys(_ configuration: MissiveConfiguration, logger: Logger) throws -> (EvidenceKeys, URL)? {
        if let folder = configuration.evidenceKeysFolder {
            let url = URL(fileURLWithPath: folder)
            return (try EvidenceKeys.load(from: url), url)
        }
        guard configuration.sandbox else { return nil }
        let url = configuration.dataURL.appendingPathComponent("evidence")
        if FileManager.default.fileExists(atPath: url.appendingPathComponent(EvidenceKeys.FileName.root).path) {
            return (try EvidenceKeys.load(from: url), url)
        }
        let keys = try EvidenceKeys.generate()
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try keys.write(to: url)
        logger.info("sandbox evidence keys created", metadata: ["missive.evidence.folder": "\(url.path)"])
        return (keys, url)
    }

    /// `POST /tsa`: RFC 3161 over HTTP (`application/timestamp-query` →
    /// `application/timestamp-reply`), for anyone who wants a timestamp from this TSA.
    static func registerTSA<Context: RequestContext>(on router: Hummingbird.Router<Context>, authority: TimeStampAuthority) {
        router.post("/tsa") { request, _ -> Response in
            guard request.headers[.contentType]?.lowercased().hasPrefix("application/timestamp-query") == true else {
                return Response(status: .unsupportedMediaType, headers: [.accept: "application/timestamp-query"])
            }
            let body = try await request.body.collect(upTo: 64 * 1024)
            let reply = authority.respond(to: Array(body.readableBytesView), at: Date())
            return Response(status: .ok, headers: [.contentType: "application/timestamp-reply"], body: .init(byteBuffer: ByteBuffer(bytes: reply)))
        }
    }
}
