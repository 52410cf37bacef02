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
            attributes.append(try CMSAttribute(type: EvidenceOID.signingTime, value: UTCTime(signingTime)))
        }
        let toBeSigned = try attributes.derSetEncoding()
        let signature = try signer.signature(for: toBeSigned)
        let info = try CMSSignerInfo(certificate: certificate, signedAttributes: attributes, signature: signature)
        return CMSSignedData(contentType: contentType, content: content, certificates: certificates, signerInfo: info)
    }
}

extension UTCTime {
    /// The UTC time of `date`, truncated to whole seconds.
    init(_ date: Date) throws {
        let c = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        try self.init(
            year: c.year!, month: c.month!, day: c.day!,
            hours: c.hour!, minutes: c.minute!, seconds: c.second!
        )
    }

    /// The date this time denotes.
    var date: Date? {
        Calendar.utc.date(from: DateComponents(
            year: year, month: month, day: day, hour: hours, minute: minutes, second: seconds
        ))
    }
}

extension GeneralizedTime {
    /// The UTC time of `date` with millisecond precision.
    init(_ date: Date) throws {
        let c = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let whole = Calendar.utc.date(from: c)!
        let millis = (date.timeIntervalSince(whole) * 1000).rounded(.down) / 1000
        try self.init(
            year: c.year!, month: c.month!, day: c.day!,
            hours: c.hour!, minutes: c.minute!, seconds: c.second!,
            fractionalSeconds: max(0, min(millis, 0.999))
        )
    }
}

extension Calendar {
    /// The Gregorian calendar in UTC.
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
