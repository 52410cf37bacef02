import ArgumentParser
import Crypto
import Foundation
import MissiveCore
import MissiveServer

/// `missive verify FILE EVIDENCE`: checks a document and its evidence offline, against the
/// operator's root certificate, without a server.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a document against its sealed evidence, offline.",
        discussion: """
        EVIDENCE is a signed record (evd_….json, from GET /v1/evidence/{id}/record) whose seal \
        lies beside it as evd_….p7s (or --seal); the document must be one the record covers. \
        EVIDENCE may also be a document seal (.p7s, from …/documents/{index}/seal): then the \
        document must be exactly the one sealed. Exits 0 when every check passes, 1 otherwise.
        """
    )

    @Argument(help: "The document (PDF) to check.")
    var file: String

    @Argument(help: "The signed record (.json) or a document seal (.p7s).")
    var evidence: String

    @Option(help: "The record's seal (default: EVIDENCE with the extension .p7s).")
    var seal: String?

    @Option(name: .customLong("trust-anchor"), help: "The operator's root certificate, PEM (sandbox: trustAnchor in sandbox.json; env MISSIVE_TRUST_ANCHOR).")
    var trustAnchor: String?

    @Option(name: .customLong("tsa-trust-anchor"), help: "The root of an external time-stamp authority, PEM (default: the --trust-anchor).")
    var timeStampAnchor: String?

    func run() async throws {
        guard let anchor = trustAnchor ?? ProcessInfo.processInfo.environment["MISSIVE_TRUST_ANCHOR"] else {
            throw ValidationError("Name the operator's root certificate with --trust-anchor (or MISSIVE_TRUST_ANCHOR).")
        }
        let verifier = try SealEvidenceVerifier(trustAnchorFile: anchor, timeStampAnchorFile: timeStampAnchor)
        let digest = try Self.sha256(ofFile: file)
        let isDocumentSeal = evidence.lowercased().hasSuffix(".p7s") && seal == nil
        let record: Data? = isDocumentSeal ? nil : try Self.read(evidence, limit: 1 << 20)
        let sealPath = isDocumentSeal ? evidence : (seal ?? (evidence as NSString).deletingPathExtension + ".p7s")
        let report = await verifier.verify(record: record, seal: try Self.read(sealPath, limit: 1 << 20), documentSHA256: digest)
        for check in report.checks {
            print("\(check.passed ? "✔" : "✘") \(check.name.rawValue): \(check.detail)")
        }
        if let record = report.record {
            print("  evidence \(record.evidenceId): \(record.event.rawValue) of \(record.envelopeId) at \(Timestamp.string(record.eventTime))")
        }
        if let time = report.timeStampTime { print("  time-stamped \(Timestamp.string(time))") }
        print(report.isValid ? "VALID" : "INVALID")
        if !report.isValid { throw ExitCode(1) }
    }

    static func read(_ path: String, limit: Int) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("Cannot read \(path).") }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else { throw ValidationError("\(path) is larger than \(limit) bytes; it is not evidence.") }
        return data
    }

    /// Hashes a file in 1 MiB chunks (documents may be large).
    static func sha256(ofFile path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("Cannot read \(path).") }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hash.update(data: chunk)
        }
        return Array(hash.finalize())
    }
}
