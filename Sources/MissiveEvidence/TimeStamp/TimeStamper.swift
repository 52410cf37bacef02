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
        try await timeStamped(seal(content, at: time), by: stamper, at: time)
    }

    /// Seals content known by its SHA-256 and adds a signature time-stamp (CAdES-B-T).
    public func seal(sha256 digest: [UInt8], at time: Date, timeStampedBy stamper: any TimeStamper) async throws -> [UInt8] {
        try await timeStamped(seal(sha256: digest, at: time), by: stamper, at: time)
    }

    private func timeStamped(_ p7s: [UInt8], by stamper: any TimeStamper, at time: Date) async throws -> [UInt8] {
        let token = try await stamper.timeStampToken(sha256: DigestAlgorithm.sha256.hash(Self.signatureValue(of: p7s)), at: time)
        return try Self.addingSignatureTimeStamp(token: token, to: p7s)
    }
}
