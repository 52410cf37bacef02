/// Collects the fields of one header block, a line at a time (RFC 5322 §2.2.3 unfolding: a
/// line that starts with a space or tab continues the field before it; obs-fold lines of
/// only whitespace are tolerated), and enforces the header limits. Pure: no I/O.
struct HeaderBlockReader: Sendable {
    let limits: MIMELimits
    /// Names the block in error reasons ("message header block", "header block of part 3").
    let context: String
    private var fields: [(name: String, value: String)] = []
    /// The field being unfolded: its lines without their line breaks.
    private var current: [UInt8] = []
    private var colonIndex = 0
    /// Bytes of the block so far, line breaks included.
    private(set) var byteCount = 0
    private(set) var lineCount = 0

    init(limits: MIMELimits, context: String) {
        self.limits = limits
        self.context = context
    }

    /// Bytes held for the field being unfolded.
    var bufferedByteCount: Int { current.count }

    /// Takes one line without its line break (`terminatorLength` bytes, counted against the
    /// block limit). Returns true when it was the empty line that ends the block.
    mutating func line(_ line: UnsafeBufferPointer<UInt8>, terminatorLength: Int) throws -> Bool {
        guard line.count <= limits.maxLineBytes else {
            throw MIMEError(.lineTooLong, "\(context): a header line is longer than \(limits.maxLineBytes) bytes")
        }
        byteCount += line.count + terminatorLength
        guard byteCount <= limits.maxHeaderBytes else {
            throw MIMEError(.headerTooLarge, "\(context) is larger than \(limits.maxHeaderBytes) bytes")
        }
        lineCount += 1
        guard let first = line.first else {
            try finishField()
            return true
        }
        if ASCII.isWhitespace(first) {
            guard !current.isEmpty else {
                throw MIMEError(.malformedHeader, "\(context): a continuation line comes before any field")
            }
            current.append(contentsOf: line)
            return false
        }
        try finishField()
        guard let colon = line.firstIndex(of: ASCII.colon) else {
            throw MIMEError(.malformedHeader, "\(context): line \(lineCount) has no colon")
        }
        guard fields.count < limits.maxHeaderFields else {
            throw MIMEError(.tooManyFields, "\(context) has more than \(limits.maxHeaderFields) fields")
        }
        current.append(contentsOf: line)
        colonIndex = colon
        return false
    }

    /// Ends the block (after its empty line, or at the end of the input).
    mutating func finish() throws -> MIMEHeaders {
        try finishField()
        return MIMEHeaders(fields: fields)
    }

    private mutating func finishField() throws {
        guard !current.isEmpty else { return }
        var nameEnd = colonIndex
        while nameEnd > 0, ASCII.isWhitespace(current[nameEnd - 1]) { nameEnd -= 1 }  // obs-optional "Name :"
        let name = current[..<nameEnd]
        guard !name.isEmpty, name.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw MIMEError(.malformedHeader, "\(context): field \(fields.count + 1) has an invalid name")
        }
        let value = ASCII.trimmed(current[(colonIndex + 1)...])
        fields.append((name: String(decoding: name, as: UTF8.self), value: Charset.headerText(value)))
        current.removeAll(keepingCapacity: true)
    }
}
