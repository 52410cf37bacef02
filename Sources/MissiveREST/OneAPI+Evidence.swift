import Crypto
import Foundation
import MissiveCore
import OpenAPIRuntime

extension OneAPI {
    public func listEnvelopeEvidence(_ input: Operations.ListEnvelopeEvidence.Input) async throws -> Operations.ListEnvelopeEvidence.Output {
        let (organisation, _, _) = try RequestPrincipal.organisation(Roles.evidenceReaders)
        let evidence = try await postOffice.evidence(of: try Wire.id(input.path.envelopeId, as: EnvelopeID.self), organisation: organisation)
        return .ok(.init(body: .json(.init(items: evidence.map(Wire.evidence)))))
    }

    public func getEvidence(_ input: Operations.GetEvidence.Input) async throws -> Operations.GetEvidence.Output {
        let evidence = try await ownEvidence(input.path.evidenceId)
        return .ok(.init(body: .json(Wire.evidence(evidence))))
    }

    public func downloadEvidenceRecord(_ input: Operations.DownloadEvidenceRecord.Input) async throws -> Operations.DownloadEvidenceRecord.Output {
        let evidence = try await ownEvidence(input.path.evidenceId)
        let name = evidence.record.evidenceId.rawValue
        return .ok(.init(headers: .init(contentDisposition: "attachment; filename=\"\(name).json\""), body: .binary(HTTPBody(evidence.canonical))))
    }

    public func downloadEvidenceSeal(_ input: Operations.DownloadEvidenceSeal.Input) async throws -> Operations.DownloadEvidenceSeal.Output {
        let evidence = try await ownEvidence(input.path.evidenceId)
        let name = evidence.record.evidenceId.rawValue
        return .ok(.init(headers: .init(contentDisposition: "attachment; filename=\"\(name).p7s\""), body: .applicationPkcs7Signature(HTTPBody(evidence.seal))))
    }

    public func downloadDocumentSeal(_ input: Operations.DownloadDocumentSeal.Input) async throws -> Operations.DownloadDocumentSeal.Output {
        let evidence = try await ownEvidence(input.path.evidenceId)
        let index = input.path.documentIndex
        guard evidence.documentSeals.indices.contains(index) else {
            throw MissiveError(.notFound, evidence.documentSeals.isEmpty ? "Only acceptance evidence seals documents." : "The record has no document \(index).")
        }
        let name = "\(evidence.record.evidenceId.rawValue)-document-\(index)"
        return .ok(.init(headers: .init(contentDisposition: "attachment; filename=\"\(name).p7s\""), body: .applicationPkcs7Signature(HTTPBody(evidence.documentSeals[index]))))
    }

    public func verifyEvidence(_ input: Operations.VerifyEvidence.Input) async throws -> Operations.VerifyEvidence.Output {
        _ = try RequestPrincipal.organisation(Roles.evidenceReaders)
        guard let verifier = hooks.evidenceVerifier else {
            throw MissiveError(.unavailable, "This server has no evidence keys, so it cannot verify seals.")
        }
        guard case .json(let body) = input.body else { throw MissiveError(.unsupportedMediaType, "Send JSON.") }
        // Whatever the schema allows gets a verdict (200); what fails is said in the checks.
        let seal = try Self.base64(body.seal, "/seal")
        let record = try body.record.map { try Self.base64($0, "/record") }
        var digest: [UInt8]?
        if let document = body.document {
            let bytes = try Self.base64(document, "/document")
            guard bytes.count <= settings.maxDocumentBytes else { throw MissiveError(.tooLarge, "The document is larger than \(settings.maxDocumentBytes) bytes.", pointer: "/document") }
            digest = Array(SHA256.hash(data: bytes))
        }
        if let hex = body.documentSha256 {
            guard let bytes = [UInt8](hex: hex), bytes.count == 32 else { throw MissiveError(.invalidRequest, "documentSha256 must be 64 hex digits.", pointer: "/documentSha256") }
            if let digest, digest != bytes {
                let report = EvidenceVerificationReport(checks: [.init(.document, passed: false, "document and documentSha256 are two different documents.")])
                return .ok(.init(body: .json(Wire.verification(report))))
            }
            digest = bytes
        }
        let report = await verifier.verify(record: record, seal: seal, documentSHA256: digest)
        return .ok(.init(body: .json(Wire.verification(report))))
    }

    /// Strict base64 (the schema's pattern): anything else is a bad request, not a verdict.
    private static func base64(_ text: String, _ pointer: String) throws -> Data {
        guard let data = Data(base64Encoded: text) else {
            throw MissiveError(.invalidRequest, "\(pointer.dropFirst()) is not base64.", pointer: pointer)
        }
        return data
    }

    /// The organisation's evidence, 404 for anyone else's.
    private func ownEvidence(_ raw: String) async throws -> StoredEvidence {
        let (organisation, _, _) = try RequestPrincipal.organisation(Roles.evidenceReaders)
        return try await postOffice.evidence(try Wire.id(raw, as: EvidenceID.self), organisation: organisation)
    }
}

extension Wire {
    static func evidence(_ evidence: StoredEvidence) -> Components.Schemas.Evidence {
        let record = evidence.record
        let base = "/v1/evidence/\(record.evidenceId.rawValue)"
        return .init(
            id: record.evidenceId.rawValue, envelopeId: record.envelopeId.rawValue, event: .init(rawValue: record.event.rawValue)!,
            eventId: record.eventId.rawValue, eventTime: record.eventTime, issuer: record.issuer,
            sender: party(record.sender), recipient: party(record.recipient),
            channel: record.channel.map { .init(rawValue: $0.rawValue)! }, reason: record.reason.map(reason),
            documents: record.documents.enumerated().map { index, document in
                .init(
                    index: index, role: document.role == "main" ? .main : .attachment, sha256: document.sha256, byteSize: document.byteSize,
                    sealUrl: evidence.documentSeals.indices.contains(index) ? "\(base)/documents/\(index)/seal" : nil
                )
            },
            sealedAt: evidence.sealedAt, recordUrl: "\(base)/record", sealUrl: "\(base)/seal"
        )
    }

    static func party(_ party: EvidenceRecord.Party) -> Components.Schemas.EvidenceParty {
        .init(id: party.id, name: party.name, address: party.address)
    }

    static func verification(_ report: EvidenceVerificationReport) -> Components.Schemas.EvidenceVerification {
        .init(
            valid: report.isValid,
            checks: report.checks.map { .init(name: .init(rawValue: $0.name.rawValue)!, passed: $0.passed, detail: $0.detail) },
            evidenceId: report.record?.evidenceId.rawValue, event: report.record.map { .init(rawValue: $0.event.rawValue)! },
            envelopeId: report.record?.envelopeId.rawValue, eventTime: report.record?.eventTime, sealedBy: report.sealedBy,
            signingTime: report.signingTime, timeStampTime: report.timeStampTime, documentSha256: report.documentSHA256
        )
    }
}
