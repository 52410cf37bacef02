/// Finds a multipart delimiter (`CRLF--boundary`) in bytes that arrive one at a time, also
/// across chunk boundaries (Knuth–Morris–Pratt). Used by every streaming multipart reader so
/// that none buffers a part to find its end.
public struct BoundaryMatcher: Sendable {
    /// `CRLF--boundary`.
    public let delimiter: [UInt8]
    private let failure: [Int]
    /// How many bytes of the delimiter the latest bytes match.
    public private(set) var matched: Int

    /// `assumingLineBreak`: the stream starts as if after a CRLF, so the very first boundary
    /// line (which has none before it) matches like the others.
    public init(boundary: String, assumingLineBreak: Bool = true) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        var failure = [Int](repeating: 0, count: delimiter.count)
        var k = 0
        for index in 1..<delimiter.count {
            while k > 0 && delimiter[index] != delimiter[k] { k = failure[k - 1] }
            if delimiter[index] == delimiter[k] { k += 1 }
            failure[index] = k
        }
        self.failure = failure
        matched = assumingLineBreak ? 2 : 0
    }

    /// Consumes one byte. `released` bytes left the partial match and are content: the first
    /// `min(released, previous)` bytes of the delimiter, then `byte` itself when
    /// `released > previous`. `complete` is true when the whole delimiter was just seen.
    public mutating func step(_ byte: UInt8) -> (previous: Int, released: Int, complete: Bool) {
        let before = matched
        var k = matched
        while k > 0 && byte != delimiter[k] { k = failure[k - 1] }
        if byte == delimiter[k] { k += 1 }
        if k == delimiter.count {
            matched = 0
            return (before, before + 1 - k, true)
        }
        matched = k
        return (before, before + 1 - k, false)
    }

    /// Starts over (after a delimiter's line, before a part's body).
    public mutating func reset() {
        matched = 0
    }
}
