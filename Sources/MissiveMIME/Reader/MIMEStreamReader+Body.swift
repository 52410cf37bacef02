extension MIMEStreamReader {
    /// What a line in a multipart body is.
    enum LineKind {
        case content
        /// The line may still become a delimiter: wait for more bytes.
        case undecided
        /// A delimiter of `frames[frame]` that ends at `end` (after its line break).
        case delimiter(frame: Int, close: Bool, end: Int)
    }

    /// Reads body lines of a multipart from `index`: content of a leaf part is decoded and
    /// reported, preamble and epilogue content is dropped. Returns true when a delimiter
    /// changed the region, false when `buffer` ends first (`index` is then at the start of
    /// the undecided bytes, or at the end).
    mutating func scanBody(
        _ buffer: UnsafeBufferPointer<UInt8>, _ index: inout Int, final: Bool, _ sink: (MIMEEvent) throws -> Void
    ) throws -> Bool {
        let emitting = if case .leaf = region { true } else { false }
        // Content decided in this buffer is [runStart, runEnd); at a line start, the line
        // break before it is [runEnd, index) and waits for the line to be classified.
        let runStart = index
        var runEnd = index
        while index < buffer.count {
            if atLineStart {
                switch try classifyLine(buffer, at: index, final: final) {
                case .content:
                    if let lineBreak = pendingLineBreak {
                        pendingLineBreak = nil
                        if emitting { try lineBreak.bytes.withUnsafeBufferPointer { try emitContent($0, sink) } }
                    }
                    runEnd = index
                    atLineStart = false
                case .undecided:
                    if emitting { try emitContent(UnsafeBufferPointer(rebasing: buffer[runStart..<runEnd]), sink) }
                    if runEnd < index { pendingLineBreak = index - runEnd == 2 ? .crlf : .lf }
                    return false
                case .delimiter(let frame, let close, let end):
                    if emitting { try emitContent(UnsafeBufferPointer(rebasing: buffer[runStart..<runEnd]), sink) }
                    pendingLineBreak = nil
                    index = end
                    try delimiterFound(frame: frame, close: close, sink)
                    return true
                }
            } else if let lineFeed = ByteScan.lineFeed(in: buffer, from: index) {
                runEnd = lineFeed > index && buffer[lineFeed - 1] == ASCII.cr ? lineFeed - 1 : lineFeed
                index = lineFeed + 1
                atLineStart = true
            } else if !final, buffer[buffer.count - 1] == ASCII.cr {
                // The CR may start a line break: keep it for the next chunk.
                runEnd = buffer.count - 1
                index = runEnd
                break
            } else {
                runEnd = buffer.count
                index = buffer.count
            }
        }
        if emitting { try emitContent(UnsafeBufferPointer(rebasing: buffer[runStart..<runEnd]), sink) }
        if atLineStart, runEnd < index { pendingLineBreak = index - runEnd == 2 ? .crlf : .lf }
        return false
    }

    /// Classifies the line starting at `start`: a delimiter of an open multipart
    /// (RFC 2046 §5.1.1: `--boundary`, optionally `--`, then only spaces and tabs), content,
    /// or undecided until more bytes arrive. The innermost multipart is tried first.
    func classifyLine(_ buffer: UnsafeBufferPointer<UInt8>, at start: Int, final: Bool) throws -> LineKind {
        let available = buffer.count - start
        guard buffer[start] == ASCII.dash else { return .content }
        guard available >= 2 else { return final ? .content : .undecided }
        guard buffer[start + 1] == ASCII.dash else { return .content }
        var undecided = false
        for frame in frames.indices.reversed() {
            let boundary = frames[frame].boundary
            let compared = min(available - 2, boundary.count)
            guard ByteScan.equal(buffer, at: start + 2, boundary, count: compared) else { continue }
            guard compared == boundary.count else {
                undecided = undecided || !final
                continue
            }
            let tailStart = start + 2 + boundary.count
            switch delimiterTail(buffer, from: tailStart) {
            case .match(let close, let end):
                return undecided ? .undecided : .delimiter(frame: frame, close: close, end: end)
            case .mismatch:
                continue
            case .incomplete:
                if final, let end = finalTail(buffer, from: tailStart) {
                    return .delimiter(frame: frame, close: end.close, end: end.index)
                }
                undecided = undecided || !final
            }
        }
        guard undecided else { return .content }
        guard available <= limits.maxLineBytes else {
            throw MIMEError(.lineTooLong, "a line that may be a boundary delimiter is longer than \(limits.maxLineBytes) bytes")
        }
        return .undecided
    }

    private enum Tail { case match(close: Bool, end: Int), mismatch, incomplete }

    /// At the end of the message, a delimiter line may lack its line break.
    private func finalTail(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> (close: Bool, index: Int)? {
        var index = start
        var close = false
        if buffer.count - index >= 2, buffer[index] == ASCII.dash, buffer[index + 1] == ASCII.dash {
            close = true
            index += 2
        }
        while index < buffer.count, ASCII.isWhitespace(buffer[index]) || buffer[index] == ASCII.cr { index += 1 }
        return index == buffer.count ? (close, index) : nil
    }

    /// The rest of a delimiter line after its boundary: `[--] *(SP / HTAB) line-break`.
    private func delimiterTail(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Tail {
        var index = start
        var close = false
        if index < buffer.count, buffer[index] == ASCII.dash {
            guard index + 1 < buffer.count else { return .incomplete }
            guard buffer[index + 1] == ASCII.dash else { return .mismatch }
            close = true
            index += 2
        }
        while index < buffer.count {
            switch buffer[index] {
            case ASCII.space, ASCII.tab:
                index += 1
            case ASCII.lf:
                return .match(close: close, end: index + 1)
            case ASCII.cr:
                guard index + 1 < buffer.count else { return .incomplete }
                return buffer[index + 1] == ASCII.lf ? .match(close: close, end: index + 2) : .mismatch
            default:
                return .mismatch
            }
        }
        return .incomplete
    }

    /// A delimiter of `frames[frame]`: ends the current leaf part and any multipart nested
    /// deeper, then starts the next part's header block or, after a close-delimiter, skips
    /// to the enclosing multipart's next delimiter.
    private mutating func delimiterFound(frame: Int, close: Bool, _ sink: (MIMEEvent) throws -> Void) throws {
        if case .leaf = region { try finishLeaf(sink) }
        frames.removeSubrange((frame + 1)...)
        atLineStart = true
        pendingLineBreak = nil
        if close {
            frames.removeLast()
            region = frames.isEmpty ? .epilogue : .skipping
        } else {
            let defaultType: MIMEContentType = frames[frame].isDigest ? .messageRFC822 : .textPlain
            region = .headers(HeaderContext(isMessage: false, defaultContentType: defaultType))
        }
    }

    /// Decodes leaf content, reporting output whenever ``flushThreshold`` bytes collected.
    mutating func emitContent(_ content: UnsafeBufferPointer<UInt8>, _ sink: (MIMEEvent) throws -> Void) throws {
        var start = 0
        while start < content.count {
            let end = min(start + Self.flushThreshold, content.count)
            do {
                try decoder.decode(UnsafeBufferPointer(rebasing: content[start..<end]), into: &output)
            } catch {
                throw MIMEError(error.kind, "part \(leafCount - 1): \(error.reason)")
            }
            if output.count >= Self.flushThreshold { try flushOutput(sink) }
            start = end
        }
    }

    /// Ends the current leaf part.
    mutating func finishLeaf(_ sink: (MIMEEvent) throws -> Void) throws {
        do {
            try decoder.finish(into: &output)
        } catch {
            throw MIMEError(error.kind, "part \(leafCount - 1): \(error.reason)")
        }
        decoder = .identity
        try flushOutput(sink)
        region = .skipping
        try sink(.partEnd)
    }
}
