/// Finds a `null` literal outside strings in a JSON text fed in chunks.
package struct JSONNullScanner {
    private var inString = false
    private var escaped = false
    private var matched = 0
    private static let literal = Array("null".utf8)

    package init() {}

    /// Feeds bytes; true once a null literal was seen.
    package mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes {
            if inString {
                if escaped { escaped = false }
                else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            if byte == UInt8(ascii: "\"") {
                inString = true
                matched = 0
            } else if byte == Self.literal[matched] {
                matched += 1
                if matched == Self.literal.count { return true }
            } else {
                matched = byte == Self.literal[0] ? 1 : 0
            }
        }
        return false
    }
}
