/// Decodes base64 text that arrives in pieces of any size (line breaks and spaces allowed),
/// keeping only the up-to-three characters that do not yet form a whole quantum.
public struct Base64Stream: Sendable {
    /// Bits of the quantum being read (6 per character).
    private var bits: UInt32 = 0
    /// Alphabet characters in the current quantum.
    private var count = 0
    /// `=` seen in the current quantum.
    private var padding = 0
    private var finished = false
    public private(set) var decodedCount: Int64 = 0

    public init() {}

    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        for space in [0x20, 0x09, 0x0A, 0x0D] { table[space] = 0xFE }
        table[Int(UInt8(ascii: "="))] = 0xFD
        return table
    }()

    /// Decodes `text`, appending the bytes to `output`; throws on a character outside the
    /// alphabet or data after the final padding.
    public mutating func decode(_ text: some Sequence<UInt8>, into output: inout [UInt8]) throws(Base64Error) {
        output.reserveCapacity(output.count + text.underestimatedCount / 4 * 3 + 3)
        let table = Self.table
        for character in text {
            let value = table[Int(character)]
            if value < 64 {
                guard !finished, padding == 0 else { throw Base64Error() }
                bits = bits << 6 | UInt32(value)
                count += 1
                if count == 4 {
                    output.append(UInt8(truncatingIfNeeded: bits >> 16))
                    output.append(UInt8(truncatingIfNeeded: bits >> 8))
                    output.append(UInt8(truncatingIfNeeded: bits))
                    decodedCount += 3
                    bits = 0
                    count = 0
                }
            } else if value == 0xFE {
                continue
            } else if value == 0xFD {
                // "=" pads the final quantum: after two or three characters, up to four in all.
                guard !finished, count >= 2, count + padding < 4 else { throw Base64Error() }
                padding += 1
                if count + padding == 4 {
                    let shifted = bits << (6 * UInt32(padding))
                    output.append(UInt8(truncatingIfNeeded: shifted >> 16))
                    if count == 3 { output.append(UInt8(truncatingIfNeeded: shifted >> 8)) }
                    decodedCount += Int64(count - 1)
                    finished = true
                    bits = 0
                    count = 0
                    padding = 0
                }
            } else {
                throw Base64Error()
            }
        }
    }

    /// Ends the text: a partial quantum left over is an error.
    public func finish() throws(Base64Error) {
        guard count == 0, padding == 0 else { throw Base64Error() }
    }
}

/// Base64 text that is not valid.
public struct Base64Error: Error, Equatable, Sendable {}
