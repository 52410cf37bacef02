import Foundation
import Hummingbird
import Logging
import MissiveCore
import MissiveEvidence
import NIOCore

/// The operator's seal with the built-in timestamp authority: every record is sealed as
/// CAdES-B-T (the signature timestamped by the TSA).
struct CAdESEvidenceSealer: EvidenceSealer {
    let sealer: CAdESSeal
    let authority: TimeStampAuthority

    func seal(_ content: Data, at date: Date) async throws -> Data {
        Data(try sealer.seal(content, at: date, timeStampedBy: authority))
    }
}

extension MissiveHub {
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
