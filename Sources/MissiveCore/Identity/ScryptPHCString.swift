import Foundation

/// A stored password hash in the PHC string format for scrypt, as passlib and others write
/// it: `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>`, salt and hash in standard base64
/// without padding. Reading is strict (exact field order, decimal digits only, canonical
/// base64) and bounded, so a damaged or hostile row parses to nil instead of crashing or
/// asking for unbounded work.
struct ScryptPHCString: Sendable, Hashable {
    var parameters: PasswordHasher.Parameters
    var salt: [UInt8]
    var hash: [UInt8]

    init(parameters: PasswordHasher.Parameters, salt: [UInt8], hash: [UInt8]) {
        self.parameters = parameters
        self.salt = salt
        self.hash = hash
    }

    /// Parses `string`; nil for anything malformed, another algorithm, or parameters
    /// beyond ``PasswordHasher/Parameters/isWithinLimits``.
    init?(_ string: String) {
        guard string.utf8.count <= 512 else { return nil }
        let fields = string.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == "scrypt" else { return nil }
        let costs = fields[2].split(separator: ",", omittingEmptySubsequences: false)
        guard costs.count == 3,
              let logN = Self.number(costs[0], key: "ln"),
              let r = Self.number(costs[1], key: "r"),
              let p = Self.number(costs[2], key: "p"),
              let salt = Self.base64(fields[3]),
              let hash = Self.base64(fields[4])
        else { return nil }
        let parameters = PasswordHasher.Parameters(
            logN: logN, blockSize: r, parallelism: p, outputByteCount: hash.count, saltByteCount: salt.count)
        guard parameters.isWithinLimits else { return nil }
        self.init(parameters: parameters, salt: salt, hash: hash)
    }

    /// The PHC string.
    var encoded: String {
        "$scrypt$ln=\(parameters.logN),r=\(parameters.blockSize),p=\(parameters.parallelism)$"
            + Self.base64(salt) + "$" + Self.base64(hash)
    }

    /// The value of `key=digits`, one to four decimal digits.
    private static func number(_ field: Substring, key: String) -> Int? {
        guard field.hasPrefix(key + "=") else { return nil }
        let digits = field.dropFirst(key.count + 1)
        guard (1...4).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// Standard base64 without padding.
    private static func base64(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// The bytes of unpadded, canonical base64 (the unused low bits of the last symbol are
    /// zero), or nil.
    private static func base64(_ field: Substring) -> [UInt8]? {
        guard !field.isEmpty, field.count % 4 != 1,
              field.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "+" || $0 == "/") })
        else { return nil }
        let padded = String(field) + String(repeating: "=", count: (4 - field.count % 4) % 4)
        guard let data = Data(base64Encoded: padded) else { return nil }
        let bytes = [UInt8](data)
        return base64(bytes) == field ? bytes : nil
    }
}
