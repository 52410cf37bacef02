import Foundation

/// Anything that issues RFC 3161 time-stamp tokens for CAdES-B-T seals: the built-in
/// ``TimeStampAuthority``, or a client of an external (qualified) TSA.
public protocol TimeStamper: Sendable {
    /// A DER `TimeStampToken` (`ContentInfo`) whose message imprint is the SHA-256 `digest`.
    func timeStampToken(sha256 digest: [UInt8], at time: Date) async throws -> [UInt8]
}

extension TimeStampAuthority: TimeStamper {
    public func timeStampToken(sha256 digest: [UInt8], at time: Date) async throws -> [UInt8] {
        try timestamp(digest: digest, at: time)
    }
}

extension CAdESSeal {
    /// Seals `content` and adds a signature time-stamp from `stamper` (CAdES-B-T).
    public func seal(_ content: some DataProtocol, at time: Date, timeStampedBy stamper: any TimeStamper) async throws -> [UInt8] {
        try await seal(sha256: DigestAlgorithm.sha256.hash(content), at: time, timeStampedBy: stamper)
    }

    /// Seals content known by its SHA-256 and adds a signature time-stamp (CAdES-B-T).
    ///
    /// The token is added to the seal's structure as it was built, and the seal is encoded
    /// once: no parsing back of the seal and its certificates (which cost as much as the
    /// signature itself).
    public func seal(sha256 digest: [UInt8], at time: Date, timeStampedBy stamper: any TimeStamper) async throws -> [UInt8] {
        var signedData = try signedData(sha256: digest, at: time)
        let token = try await stamper.timeStampToken(sha256: DigestAlgorithm.sha256.hash(signedData.signerInfo.signature), at: time)
        try Self.addSignatureTimeStamp(token: token, to: &signedData)
        return try signedData.contentInfoDER()
    }
}
