import Foundation
import SwiftASN1
import X509

/// Builds single-signer CMS `SignedData` with signed attributes, for seals and tokens.
struct CMSSigner: Sendable {
    var signer: any EvidenceSigner
    var certificate: Certificate

    /// Signs content of `contentType` whose SHA-256 digest is `digest`.
    ///
    /// Signed attributes: content-type, message-digest, ESS signing-certificate-v2 and, when
    /// `signingTime` is given, signing-time. The signature covers their DER `SET` encoding.
    func signedData(
        contentType: ASN1ObjectIdentifier,
        digest: [UInt8],
        encapsulated content: [UInt8]?,
        signingTime: Date?,
        certificates: [Certificate]
    ) throws -> CMSSignedData {
        var attributes = [
            try CMSAttribute(type: EvidenceOID.contentType, value: contentType),
            try CMSAttribute(type: EvidenceOID.messageDigest, value: ASN1OctetString(contentBytes: ArraySlice(digest))),
            try CMSAttribute(type: EvidenceOID.signingCertificateV2, value: SigningCertificateV2(certificate: certificate)),
        ]
        if let signingTime {
            attributes.append(CMSAttribute(type: EvidenceOID.signingTime, values: [try signingTimeValue(signingTime)]))
        }
        let toBeSigned = try attributes.derSetEncoding()
        let signature = try signer.signature(for: toBeSigned)
        let info = try CMSSignerInfo(certificate: certificate, signedAttributes: attributes, signature: signature)
        return CMSSignedData(contentType: contentType, content: content, certificates: certificates, signerInfo: info)
    }
}

/// The signing-time value: `UTCTime` for 1950–2049, else `GeneralizedTime` (RFC 5652 §11.3).
func signingTimeValue(_ date: Date) throws -> ASN1Any {
    let parts = try TimeParts(date)
    guard (1950...2049).contains(parts.year) else { return try ASN1Any(erasing: GeneralizedTime(date)) }
    return try ASN1Any(erasing: UTCTime(
        year: parts.year, month: parts.month, day: parts.day,
        hours: parts.hour, minutes: parts.minute, seconds: parts.second
    ))
}

/// Reads a signing-time value in either encoding.
func signingTimeDate(_ value: ASN1Any) -> Date? {
    if let time = try? UTCTime(asn1Any: value) {
        return Calendar.utc.date(from: DateComponents(
            year: time.year, month: time.month, day: time.day,
            hour: time.hours, minute: time.minutes, second: time.seconds
        ))
    }
    guard let time = try? GeneralizedTime(asn1Any: value) else { return nil }
    return Calendar.utc.date(from: DateComponents(
        year: time.year, month: time.month, day: time.day,
        hour: time.hours, minute: time.minutes, second: time.seconds
    ))
}

extension GeneralizedTime {
    /// The UTC time of `date` with millisecond precision (trailing zeros dropped by DER).
    init(_ date: Date) throws {
        let parts = try TimeParts(date)
        try self.init(
            year: parts.year, month: parts.month, day: parts.day,
            hours: parts.hour, minutes: parts.minute, seconds: parts.second,
            fractionalSeconds: parts.milliseconds
        )
    }
}

/// A date split into UTC calendar fields.
struct TimeParts {
    var year, month, day, hour, minute, second: Int
    /// Fractional seconds truncated to milliseconds, in `0..<1`.
    var milliseconds: Double

    init(_ date: Date) throws {
        let c = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        guard let year = c.year, let month = c.month, let day = c.day, let hour = c.hour,
            let minute = c.minute, let second = c.second, let whole = Calendar.utc.date(from: c)
        else { throw EvidenceError(.malformedStructure, "date cannot be expressed in UTC fields") }
        (self.year, self.month, self.day, self.hour, self.minute, self.second) = (year, month, day, hour, minute, second)
        let fraction = (date.timeIntervalSince(whole) * 1000).rounded(.down) / 1000
        self.milliseconds = max(0, min(fraction, 0.999))
    }
}

extension Calendar {
    /// The Gregorian calendar in UTC.
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? .current
        return calendar
    }()
}
