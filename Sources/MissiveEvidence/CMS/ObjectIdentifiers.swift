import SwiftASN1

/// Object identifiers used by CMS, CAdES, ESS and RFC 3161.
enum EvidenceOID {
    /// id-data (RFC 5652).
    static let data: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 1]
    /// id-signedData (RFC 5652).
    static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 2]
    /// id-contentType attribute.
    static let contentType: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 3]
    /// id-messageDigest attribute.
    static let messageDigest: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 4]
    /// id-signingTime attribute.
    static let signingTime: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 5]
    /// id-aa-signingCertificateV2 (RFC 5035).
    static let signingCertificateV2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 16, 2, 47]
    /// id-aa-signatureTimeStampToken (RFC 3161 appendix A, CAdES-T).
    static let signatureTimeStampToken: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 16, 2, 14]
    /// id-ct-TSTInfo (RFC 3161).
    static let tstInfo: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 16, 1, 4]
    /// ecdsa-with-SHA256 (RFC 5758).
    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    /// id-sha1, only recognised so that it can be refused.
    static let sha1: ASN1ObjectIdentifier = [1, 3, 14, 3, 2, 26]
    /// id-sha256.
    static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
    /// id-sha384.
    static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]
    /// id-sha512.
    static let sha512: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 3]

    /// Missive's time-stamp policy: `1.3.6.1.4.1.57264.1.1`.
    ///
    /// The arc `1.3.6.1.4.1.57264` is a private-enterprise arc used here for the sandbox
    /// TSA only; replace it with Missive's registered PEN before production use.
    static let missiveTimeStampPolicy: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 57264, 1, 1]
}
