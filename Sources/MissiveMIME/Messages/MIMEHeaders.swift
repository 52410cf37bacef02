/// A header block (RFC 5322 §2.2): the fields in message order, each value unfolded (line
/// breaks of folding removed) and trimmed, but otherwise raw (no RFC 2047 decoding; raw
/// UTF-8 is kept as RFC 6532 allows).
public struct MIMEHeaders: Sendable, Equatable {
    /// The fields in the order they appeared.
    public var fields: [(name: String, value: String)]

    /// A header block with `fields` (unfolded values).
    public init(fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    /// Reads one header block from `bytes`: up to the first empty line, or to the end. Lines
    /// end in CRLF or a bare LF.
    public init(parsing bytes: some Collection<UInt8>, limits: MIMELimits = MIMELimits()) throws {
        var block = HeaderBlockReader(limits: limits, context: "header block")
        let lines = Array(bytes)
        var start = 0
        var ended = false
        try lines.withUnsafeBufferPointer { buffer in
            while start < buffer.count, !ended {
                let end = buffer[start...].firstIndex(of: ASCII.lf) ?? buffer.count
                let lineEnd = end > start && buffer[end - 1] == ASCII.cr ? end - 1 : end
                let terminator = min(end + 1, buffer.count) - lineEnd
                ended = try block.line(UnsafeBufferPointer(rebasing: buffer[start..<lineEnd]), terminatorLength: terminator)
                start = end + 1
            }
        }
        self = try block.finish()
    }

    /// The value of the first field called `name` (compared case-insensitively).
    public func first(_ name: String) -> String? {
        fields.first(where: { ASCII.equalsIgnoringCase($0.name, name) })?.value
    }

    /// The values of all fields called `name` (compared case-insensitively), in order.
    public func all(_ name: String) -> [String] {
        fields.filter { ASCII.equalsIgnoringCase($0.name, name) }.map(\.value)
    }

    /// Same fields, names and values, in the same order.
    public static func == (lhs: MIMEHeaders, rhs: MIMEHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}
