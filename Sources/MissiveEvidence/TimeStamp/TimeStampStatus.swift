import SwiftASN1

/// The outcome a TSA reports in `PKIStatusInfo` (RFC 3161 §2.4.2).
public enum TimeStampStatus: Hashable, Sendable {
    /// `granted` (0): a token is included.
    case granted
    /// `rejection` (2) with the reason bit of `PKIFailureInfo`.
    case rejection(TimeStampFailure)
}

/// The `PKIFailureInfo` bits Missive's TSA reports (RFC 3161 §2.4.2).
public enum TimeStampFailure: Int, Error, Hashable, Sendable {
    /// Unrecognized or unsupported algorithm identifier.
    case badAlg = 0
    /// Transaction not permitted or supported (e.g. wrong version).
    case badRequest = 2
    /// The data submitted has the wrong format.
    case badDataFormat = 5
    /// The requested TSA policy is not supported.
    case unacceptedPolicy = 15
    /// The requested extension is not supported.
    case unacceptedExtension = 16
    /// The request cannot be handled due to system failure.
    case systemFailure = 25

    /// The DER `BIT STRING` with only this bit set (trailing zero bits removed).
    var bitString: ASN1BitString {
        var bytes = [UInt8](repeating: 0, count: rawValue / 8 + 1)
        bytes[rawValue / 8] = 0x80 >> UInt8(rawValue % 8)
        return ASN1BitString(bytes: ArraySlice(bytes), paddingBits: 7 - rawValue % 8)
    }
}

extension TimeStampStatus {
    /// Serialises `PKIStatusInfo ::= SEQUENCE { status, statusString OPTIONAL, failInfo OPTIONAL }`.
    func serialize(into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            switch self {
            case .granted:
                try coder.serialize(0)
            case .rejection(let failure):
                try coder.serialize(2)
                try coder.serialize(failure.bitString)
            }
        }
    }

    /// The DER `TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken OPTIONAL }`.
    func response(token: [UInt8]?) throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try serialize(into: &coder)
            if let token {
                coder.serializeRawBytes(token)
            }
        }
        return coder.serializedBytes
    }

    /// A constant `rejection`/`systemFailure` response used when serialisation itself fails.
    static let systemFailureResponse: [UInt8] = [
        0x30, 0x0C, 0x30, 0x0A, 0x02, 0x01, 0x02, 0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40,
    ]
}
