/// Decodes base64 text that arrives in pieces of any size (line breaks and spaces allowed),
/// keeping only the up-to-three characters that do not yet form a whole quantum.
public struct Base64Stream: Sendable {
    private var quantum: [UInt8] = []
    private var finished = false
    public private(set) var decodedCount: Int64 = 0

    public init() {}

    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        return table
    }()

    /// Decodes `text`, appending the bytes to `output`; throws on a character outside the
    /// alphabet or data after the final padding.
    public mutating func decode(_ text: some Sequence<UInt8>, into output: inout [UInt8]) throws(Base64Error) {
        for character in text {
            switch character {
            case 0x20, 0x09, 0x0A, 0x0D:
                continue
            case UInt8(ascii: "="):
                quantum.append(character)
            default:
                guard !finished, !quantum.contains(UInt8(ascii: "=")), Self.table[Int(character)] != 0xFF else { throw Base64Error() }
                quantum.append(character)
            }
            if quantum.count == 4 {
                try flush(into: &output)
            }
        }
    }

    /// Ends the text: a partial quantum left over is an error.
    public func finish() throws(Base64Error) {
        guard quantum.isEmpty else { throw Base64Error() }
    }

    private mutating func flush(into output: inout [UInt8]) throws(Base64Error) {
        let padding = quantum.count(where: { $0 == UInt8(ascii: "=") })
        guard padding <= 2, !finished, quantum.prefix(4 - padding).allSatisfy({ $0 != UInt8(ascii: "=") }) else { throw Base64Error() }
        let values = quantum.map { $0 == UInt8(ascii: "=") ? 0 : Self.table[Int($0)] }
        let combined = UInt32(values[0]) << 18 | UInt32(values[1]) << 12 | UInt32(values[2]) << 6 | UInt32(values[3])
        output.append(UInt8(truncatingIfNeeded: combined >> 16))
        if padding < 2 { output.append(UInt8(truncatingIfNeeded: combined >> 8)) }
        if padding < 1 { output.append(UInt8(truncatingIfNeeded: combined)) }
        decodedCount += Int64(3 - padding)
        if padding > 0 { finished = true }
        quantum.removeAll(keepingCapacity: true)
    }
}

/// Base64 text that is not valid.
public struct Base64Error: Error, Equatable, Sendable {}
