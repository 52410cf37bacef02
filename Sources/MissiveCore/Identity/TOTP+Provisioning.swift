extension TOTP {
    /// The `otpauth://totp/…` URI authenticator apps read from a QR code (Google
    /// Authenticator's Key Uri Format): the label `Issuer:account`, then the base32 secret,
    /// the issuer again, algorithm, digits and period. Issuer and account are
    /// percent-encoded (everything but RFC 3986's unreserved characters), so a colon, `&`,
    /// `#` or space in them cannot break the URI. An empty issuer is left out.
    ///
    /// The URI holds the secret: show it once, never log it.
    public func provisioningURI(issuer: String, account: String) -> String {
        let label = issuer.isEmpty ? Self.percentEncoded(account) : Self.percentEncoded(issuer) + ":" + Self.percentEncoded(account)
        var query = ["secret=" + Base32.encode(secret)]
        if !issuer.isEmpty {
            query.append("issuer=" + Self.percentEncoded(issuer))
        }
        query += ["algorithm=" + algorithm.rawValue, "digits=\(digits)", "period=\(period)"]
        return "otpauth://totp/" + label + "?" + query.joined(separator: "&")
    }

    /// `text` with every UTF-8 byte outside `A–Z a–z 0–9 - . _ ~` written as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0x0F, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
