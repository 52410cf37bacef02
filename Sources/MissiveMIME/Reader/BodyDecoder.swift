/// Undoes a leaf part's Content-Transfer-Encoding as its bytes stream through.
enum BodyDecoder: Sendable {
    /// 7bit, 8bit, binary, and unknown encodings (RFC 2045 §6.4: treat the body as
    /// application/octet-stream, i.e. deliver it as received).
    case identity
    case base64(Base64Decoder)
    case quotedPrintable(QuotedPrintableDecoder)

    init(transferEncoding: String) {
        switch transferEncoding {
        case "base64": self = .base64(Base64Decoder())
        case "quoted-printable": self = .quotedPrintable(QuotedPrintableDecoder())
        default: self = .identity
        }
    }

    mutating func decode(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) throws(MIMEError) {
        switch self {
        case .identity:
            output.append(contentsOf: input)
        case .base64(var decoder):
            self = .identity
            defer { self = .base64(decoder) }
            try decoder.decode(input, into: &output)
        case .quotedPrintable(var decoder):
            self = .identity
            decoder.decode(input, into: &output)
            self = .quotedPrintable(decoder)
        }
    }

    /// The part ended: flushes what was held and checks that the encoding ended cleanly.
    mutating func finish(into output: inout [UInt8]) throws(MIMEError) {
        switch self {
        case .identity:
            break
        case .base64(let decoder):
            try decoder.finish()
        case .quotedPrintable(var decoder):
            decoder.finish(into: &output)
            self = .quotedPrintable(decoder)
        }
    }
}

extension [UInt8] {
    /// Appends freshly decoded bytes, adopting them when nothing is pending.
    mutating func appendDecoded(_ decoded: [UInt8]) {
        if isEmpty {
            self = decoded
        } else {
            append(contentsOf: decoded)
        }
    }
}
