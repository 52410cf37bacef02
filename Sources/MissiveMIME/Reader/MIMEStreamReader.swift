/// Reads a MIME message (RFC 5322 header blocks, RFC 2045/2046 bodies) as it arrives, in
/// chunks split anywhere, and reports it as ``MIMEEvent``s: the message headers, then each
/// leaf part's headers and decoded content.
///
/// The reader is a pure state machine: it performs no I/O, and it holds only what it cannot
/// decide yet (a header line, a line that may be a boundary delimiter, a CR that may start a
/// line break) plus the decoded bytes of the current chunk, so memory stays bounded by the
/// chunk size and ``MIMELimits/maxLineBytes`` however large a part is.
///
/// Lines end in CRLF; a bare LF is accepted as a line end too, a bare CR is data. A boundary
/// delimiter is recognised only at the start of a line (`--boundary`, optionally `--`, then
/// only spaces and tabs), and the line break before it belongs to it, so a part's bytes are
/// exact. A delimiter of an enclosing multipart also ends the multiparts nested in it (as
/// Python's `email` package does).
///
/// After an error (its own or the sink's) the reader stays failed: every later call throws.
public struct MIMEStreamReader: Sendable {
    /// The bounds this reader enforces.
    public let limits: MIMELimits

    /// Where in the message the reader is.
    enum Region: Sendable {
        /// Inside a header block.
        case headers(HeaderContext)
        /// Inside the content of a leaf part.
        case leaf
        /// Inside a preamble, or after a nested multipart's close-delimiter: content ignored
        /// until the next delimiter.
        case skipping
        /// After the outermost close-delimiter: everything is ignored.
        case epilogue
        case finished
        case failed(MIMEError)
    }

    struct HeaderContext: Sendable {
        /// The top-level header block (reported as ``MIMEEvent/messageHeaders(_:)``).
        var isMessage: Bool
        var defaultContentType: MIMEContentType
    }

    /// An open multipart container.
    struct Frame: Sendable {
        var boundary: [UInt8]
        var isDigest: Bool
    }

    enum LineBreak: Sendable {
        case lf, crlf

        var bytes: [UInt8] {
            switch self {
            case .lf: [ASCII.lf]
            case .crlf: ASCII.crlf
            }
        }
    }

    /// Decoded bytes are reported at the latest when this many have collected.
    static let flushThreshold = 64 * 1024

    var region: Region
    var headerBlock: HeaderBlockReader
    var frames: [Frame] = []
    var decoder = BodyDecoder.identity
    var leafCount = 0
    /// In a multipart body: the next byte starts a line.
    var atLineStart = true
    /// The line break that ended the last content line; it is content only if the next line
    /// is not a delimiter.
    var pendingLineBreak: LineBreak?
    /// Undecided bytes from the end of the previous chunk.
    var carry: [UInt8] = []
    /// Decoded bytes not yet reported.
    var output: [UInt8] = []

    /// A reader for one message, positioned before its header block.
    public init(limits: MIMELimits = MIMELimits()) {
        self.limits = limits
        region = .headers(HeaderContext(isMessage: true, defaultContentType: .textPlain))
        headerBlock = HeaderBlockReader(limits: limits, context: "the message header block")
    }

    /// Bytes the reader holds between calls (undecided bytes, a field being unfolded,
    /// unreported output): stays below about ``MIMELimits/maxLineBytes`` plus
    /// ``MIMELimits/maxHeaderBytes`` whatever the message size.
    public var bufferedByteCount: Int {
        carry.capacity + output.capacity + headerBlock.bufferedByteCount
    }

    /// Reads the next bytes of the message, reporting events to `sink` as they are decided.
    /// Throws ``MIMEError`` for a malformed message and rethrows the sink's errors unchanged.
    public mutating func feed(_ bytes: some Collection<UInt8>, _ sink: (MIMEEvent) throws -> Void) throws {
        try checkUsable()
        do {
            let handled: Void? = try bytes.withContiguousStorageIfAvailable { buffer in
                try consume(buffer, sink)
            }
            if handled == nil {
                try Array(bytes).withUnsafeBufferPointer { buffer in try consume(buffer, sink) }
            }
            try flushOutput(sink)
        } catch {
            fail(error)
            throw error
        }
    }

    /// Ends the message: reports the last part's end, or throws ``MIMEError`` if the message
    /// stops inside a header block, before a multipart's close-delimiter, or inside a base64
    /// quantum.
    public mutating func finish(_ sink: (MIMEEvent) throws -> Void) throws {
        try checkUsable()
        do {
            if !carry.isEmpty {
                let tail = carry
                carry = []
                _ = try tail.withUnsafeBufferPointer { buffer in try step(buffer, final: true, sink) }
            }
            try finishRegion(sink)
            try flushOutput(sink)
            region = .finished
        } catch {
            fail(error)
            throw error
        }
    }

    private mutating func finishRegion(_ sink: (MIMEEvent) throws -> Void) throws {
        if case .headers(let context) = region {
            // A message may consist of header fields only (RFC 5322 §3.5: the body is
            // optional); a part's header block must end with its empty line.
            guard context.isMessage, headerBlock.lineCount > 0 else {
                throw MIMEError(.truncated, context.isMessage ? "the message is empty" : "the message ends inside a part's header block")
            }
            try completeHeaderBlock(context, sink)
        }
        switch region {
        case .leaf where frames.isEmpty:
            try finishLeaf(sink)
        case .leaf, .skipping:
            throw MIMEError(.unterminatedMultipart, "the message ends before the close-delimiter of the multipart at depth \(frames.count)")
        case .epilogue:
            break
        case .headers:
            throw MIMEError(.truncated, "the message ends inside a part's header block")
        case .finished, .failed:
            throw MIMEError(.truncated, "the reader is no longer usable")
        }
    }

    private func checkUsable() throws {
        switch region {
        case .failed(let error):
            throw error
        case .finished:
            throw MIMEError(.truncated, "the message was already finished")
        case .headers, .leaf, .skipping, .epilogue:
            break
        }
    }

    private mutating func fail(_ error: any Error) {
        region = .failed(error as? MIMEError ?? MIMEError(.truncated, "the reader stopped after its consumer failed"))
        carry = []
        output = []
    }

    /// Reads `input`, first completing the undecided bytes carried from the last chunk.
    private mutating func consume(_ input: UnsafeBufferPointer<UInt8>, _ sink: (MIMEEvent) throws -> Void) throws {
        var offset = 0
        while !carry.isEmpty, offset < input.count {
            // Add what can decide the carried bytes: one byte after a CR, else up to a line end.
            let wanted: Int
            if isInBody, !atLineStart {
                wanted = 1
            } else {
                wanted = ByteScan.lineFeed(in: input, from: offset).map { $0 + 1 - offset } ?? (input.count - offset)
            }
            let taken = min(wanted, limits.maxLineBytes + 2 - carry.count + 1, input.count - offset)
            carry.append(contentsOf: UnsafeBufferPointer(rebasing: input[offset..<(offset + taken)]))
            offset += taken
            let pending = carry  // step never changes `carry`; the copy keeps the access plain
            let consumed = try pending.withUnsafeBufferPointer { buffer in try step(buffer, final: false, sink) }
            carry.removeFirst(consumed)
            try checkCarry()
        }
        guard offset < input.count else { return }
        let rest = UnsafeBufferPointer(rebasing: input[offset...])
        let consumed = try step(rest, final: false, sink)
        if consumed < rest.count {
            carry.append(contentsOf: UnsafeBufferPointer(rebasing: rest[consumed...]))
            try checkCarry()
        }
    }

    private var isInBody: Bool {
        switch region {
        case .leaf, .skipping: true
        case .headers, .epilogue, .finished, .failed: false
        }
    }

    private mutating func checkCarry() throws {
        if carry.isEmpty, carry.capacity > 4096 {
            carry = []
        } else if carry.count > limits.maxLineBytes + 2 {
            throw MIMEError(.lineTooLong, "a line is longer than \(limits.maxLineBytes) bytes")
        }
    }

    /// Reads as much of `buffer` as can be decided; returns how many bytes it consumed. With
    /// `final`, the end of `buffer` is the end of the message and everything is consumed.
    mutating func step(_ buffer: UnsafeBufferPointer<UInt8>, final: Bool, _ sink: (MIMEEvent) throws -> Void) throws -> Int {
        var index = 0
        while index < buffer.count {
            switch region {
            case .headers(let context):
                guard try readHeaderLines(buffer, &index, final: final, context, sink) else { return index }
            case .leaf where frames.isEmpty:
                try emitContent(UnsafeBufferPointer(rebasing: buffer[index...]), sink)
                index = buffer.count
            case .leaf, .skipping:
                guard try scanBody(buffer, &index, final: final, sink) else { return index }
            case .epilogue:
                index = buffer.count
            case .finished, .failed:
                throw MIMEError(.truncated, "the reader is no longer usable")
            }
        }
        return index
    }

    /// Reports the decoded bytes collected so far.
    mutating func flushOutput(_ sink: (MIMEEvent) throws -> Void) throws {
        guard !output.isEmpty else { return }
        let bytes = output
        output = []
        try sink(.bodyBytes(bytes))
    }
}
