import Foundation
import SwiftASN1
import X509

/// Missive's RFC 3161 time-stamping authority (sandbox: software key, local root).
///
/// Tokens are CMS `SignedData` with eContentType id-ct-TSTInfo, signed attributes
/// content-type, message-digest and ESS signing-certificate-v2, signed ECDSA P-256/SHA-256.
/// The policy is ``policy``, by default ``missivePolicy``.
public struct TimeStampAuthority: Sendable {
    /// Missive's sandbox TSA policy, `1.3.6.1.4.1.57264.1.1` (private-enterprise arc;
    /// replace with Missive's registered PEN before production).
    public static let missivePolicy = EvidenceOID.missiveTimeStampPolicy

    /// The signer of tokens; its public key must match ``certificate``.
    public var signer: any EvidenceSigner
    /// The TSA certificate (critical EKU timeStamping).
    public var certificate: Certificate
    /// Further chain certificates included when the requester asks for certificates.
    public var chain: [Certificate]
    /// The TSA policy OID written into every `TSTInfo`.
    public var policy: ASN1ObjectIdentifier
    /// The accuracy claimed for `genTime`, in whole seconds.
    public var accuracySeconds: Int

    /// Creates a TSA signing with `signer` under `certificate`.
    public init(
        signer: any EvidenceSigner,
        certificate: Certificate,
        chain: [Certificate] = [],
        policy: ASN1ObjectIdentifier = TimeStampAuthority.missivePolicy,
        accuracySeconds: Int = 1
    ) {
        self.signer = signer
        self.certificate = certificate
        self.chain = chain
        self.policy = policy
        self.accuracySeconds = accuracySeconds
    }

    /// Creates the sandbox TSA from generated or loaded ``EvidenceKeys``.
    public init(keys: EvidenceKeys) {
        self.init(signer: keys.timeStampingSigner, certificate: keys.timeStamping)
    }

    /// Answers a DER `TimeStampReq` with a DER `TimeStampResp`; never throws.
    ///
    /// Malformed DER gets `rejection`/`badDataFormat`, an unsupported hash `badAlg`,
    /// a foreign policy `unacceptedPolicy`, any extension `unacceptedExtension`.
    public func respond(to request: [UInt8], at time: Date) -> [UInt8] {
        do {
            switch evaluate(request) {
            case .failure(let failure):
                return try TimeStampStatus.rejection(failure).response(token: nil)
            case .success(let (request, algorithm)):
                let token = try timestamp(
                    digest: request.hashedMessage, algorithm: algorithm, at: time,
                    nonce: request.nonce, includeCertificates: request.certificateRequested
                )
                return try TimeStampStatus.granted.response(token: token)
            }
        } catch {
            return TimeStampStatus.systemFailureResponse
        }
    }

    /// Issues a DER time-stamp token (`ContentInfo`) over `digest`, for internal use
    /// such as the CAdES signature time-stamp. The TSA certificate is always included.
    public func timestamp(
        digest: [UInt8],
        algorithm: DigestAlgorithm = .sha256,
        at time: Date,
        nonce: ArraySlice<UInt8>? = nil,
        includeCertificates: Bool = true
    ) throws -> [UInt8] {
        guard digest.count == algorithm.digestLength else {
            throw EvidenceError(.malformedStructure, "digest length does not match its algorithm")
        }
        let info = TSTInfo(
            policy: policy, hashAlgorithm: algorithm, hashedMessage: digest,
            serialNumber: TSTInfo.randomSerialNumber(), genTime: time,
            accuracySeconds: accuracySeconds, nonce: nonce, tsaName: certificate.subject
        )
        let content = try info.derEncoded()
        let signedData = try CMSSigner(signer: signer, certificate: certificate).signedData(
            contentType: EvidenceOID.tstInfo,
            digest: DigestAlgorithm.sha256.hash(content),
            encapsulated: content,
            signingTime: nil,
            certificates: includeCertificates ? [certificate] + chain : []
        )
        return try signedData.contentInfoDER()
    }

    private func evaluate(_ bytes: [UInt8]) -> Result<(TimeStampRequest, DigestAlgorithm), TimeStampFailure> {
        guard let request = try? TimeStampRequest(derEncoded: bytes) else { return .failure(.badDataFormat) }
        guard request.version == 1 else { return .failure(.badRequest) }
        guard let algorithm = DigestAlgorithm(oid: request.hashAlgorithm.algorithm),
            !request.hashAlgorithm.hasNonNullParameters
        else { return .failure(.badAlg) }
        guard request.hashedMessage.count == algorithm.digestLength else { return .failure(.badDataFormat) }
        if let requested = request.policy, requested != policy { return .failure(.unacceptedPolicy) }
        guard !request.hasExtensions else { return .failure(.unacceptedExtension) }
        return .success((request, algorithm))
    }
}
