import Crypto
import Foundation
import MissiveCore
import MissiveEvidence
import X509

/// Checks Missive evidence offline against one trust anchor (the operator's root): the
/// seal over the record (or over a document), the seal certificate's chain, the signature
/// time-stamp, the record itself, and whether a document is the one covered. Used by
/// `POST /v1/evidence-verifications` and `missive verify`.
public struct SealEvidenceVerifier: EvidenceVerifying {
    /// The operator's root(s): seal certificates must chain to one.
    public let trustAnchors: [Certificate]
    /// The roots time-stamp tokens must chain to (the operator's for the built-in TSA).
    public let timeStampAnchors: [Certificate]

    public init(trustAnchors: [Certificate], timeStampAnchors: [Certificate]? = nil) {
        self.trustAnchors = trustAnchors
        self.timeStampAnchors = timeStampAnchors ?? trustAnchors
    }

    public init(trustAnchor: Certificate) {
        self.init(trustAnchors: [trustAnchor])
    }

    /// Loads the trust anchors from PEM files (the TSA's defaults to the seal's).
    public init(trustAnchorFile path: String, timeStampAnchorFile: String? = nil) throws {
        self.init(trustAnchors: try MissiveHub.certificates(inPEMFile: path), timeStampAnchors: try timeStampAnchorFile.map(MissiveHub.certificates(inPEMFile:)))
    }

    public func verify(record: Data?, seal: Data, documentSHA256: [UInt8]?) async -> EvidenceVerificationReport {
        var report = EvidenceVerificationReport()
        report.documentSHA256 = documentSHA256?.hex
        let covered: [UInt8]
        let what: String
        if let record {
            covered = Array(SHA256.hash(data: record))
            what = "record"
            if let parsed = try? EvidenceRecord.decode(record) {
                report.record = parsed
                report.checks.append(.init(.record, passed: true, "A Missive evidence record: \(parsed.event.rawValue) of \(parsed.envelopeId) at \(Timestamp.string(parsed.eventTime))."))
            } else {
                report.checks.append(.init(.record, passed: false, "The sealed bytes are not a Missive evidence record."))
            }
        } else if let documentSHA256 {
            covered = documentSHA256
            what = "document"
        } else {
            report.checks.append(.init(.seal, passed: false, "Send the record the seal covers, or the document it seals."))
            return report
        }
        let result = await CAdESSeal.verify(p7s: [UInt8](seal), sha256: covered, trustAnchors: trustAnchors, timeStampAnchors: timeStampAnchors)
        report.sealedBy = result.signer.map { "\($0.subject)" }
        report.signingTime = result.signingTime
        report.timeStampTime = result.timeStampTime
        report.checks += Self.checks(for: result, what: what, anchor: trustAnchors.map { "\($0.subject)" }.joined(separator: " or "))
        guard documentSHA256 != nil else { return report }
        if record == nil {
            let sealPassed = report.checks.contains { $0.name == .seal && $0.passed }
            report.checks.append(.init(.document, passed: sealPassed, sealPassed
                ? "The document is the one the seal covers."
                : "The document is not the one the seal covers (or the seal is invalid)."))
        } else if let parsed = report.record {
            let hex = report.documentSHA256 ?? ""
            if let index = parsed.documents.firstIndex(where: { $0.sha256.lowercased() == hex }) {
                report.checks.append(.init(.document, passed: true, "The document is document \(index + 1) of the record (\(parsed.documents[index].role), SHA-256 \(hex))."))
            } else {
                report.checks.append(.init(.document, passed: false, "The document's SHA-256 \(hex) is not among the documents the record covers: it is another document, or it was changed."))
            }
        }
        return report
    }

    /// What each seal outcome means, check by check.
    static func checks(for result: SealVerification, what: String, anchor: String) -> [EvidenceVerificationReport.Check] {
        let signer = result.signer.map { "\($0.subject)" } ?? "an unknown certificate"
        let sealOK = EvidenceVerificationReport.Check(.seal, passed: true, "The seal's signature verifies over exactly this \(what).")
        switch result.outcome {
        case .valid:
            var checks = [sealOK, .init(.certificate, passed: true, "Sealed by \(signer), which chains to the trust anchor \(anchor).")]
            if result.hasSignatureTimeStamp, let time = result.timeStampTime {
                checks.append(.init(.timestamp, passed: true, "Time-stamped at \(Timestamp.string(time)) by a TSA that chains to the trust anchor."))
            } else if result.hasSignatureTimeStamp {
                checks.append(.init(.timestamp, passed: true, "Time-stamped by a TSA that chains to the trust anchor."))
            } else {
                checks.append(.init(.timestamp, passed: false, "The seal has no signature time-stamp (Missive seals are CAdES-B-T)."))
            }
            return checks
        case .malformed:
            return [.init(.seal, passed: false, "The seal is not a detached DER CMS SignedData (.p7s) with one signer.")]
        case .unsupportedAlgorithm:
            return [.init(.seal, passed: false, "The seal uses an algorithm other than SHA-256 with ECDSA.")]
        case .missingAttribute:
            return [.init(.seal, passed: false, "The seal lacks its content-type or message-digest attribute.")]
        case .digestMismatch:
            return [.init(.seal, passed: false, "The seal does not cover this \(what): its SHA-256 differs from the sealed message digest, so the \(what) was changed after sealing (or belongs to another seal).")]
        case .signerCertificateMissing:
            return [.init(.seal, passed: false, "The seal's certificate is not embedded in the seal.")]
        case .signingCertificateMismatch:
            return [.init(.seal, passed: false, "The ESS signing-certificate-v2 attribute does not name the seal's certificate.")]
        case .signatureInvalid:
            return [.init(.seal, passed: false, "The signature over the signed attributes does not verify: the seal itself was altered.")]
        case .chainInvalid:
            return [sealOK, .init(.certificate, passed: false, "Sealed by \(signer), which does not chain to the trust anchor \(anchor) (another operator's seal, or a certificate not valid now).")]
        case .timeStampInvalid:
            return [sealOK, .init(.certificate, passed: true, "Sealed by \(signer), which chains to the trust anchor \(anchor)."),
                    .init(.timestamp, passed: false, "The signature time-stamp does not verify, covers another signature, or its TSA does not chain to the trust anchor.")]
        }
    }
}
