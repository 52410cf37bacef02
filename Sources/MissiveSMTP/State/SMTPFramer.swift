/// Splits the bytes of an SMTP connection into what the session needs: command lines,
/// message content after `DATA` (dot-unstuffed, ended only by `CRLF.CRLF`) and `BDAT`
/// chunks of exactly the announced size. Pure: no I/O.
///
/// A bare CR or LF is never a line end inside DATA (SMTP smuggling, CVE-2023-51764 class):
/// only CRLF counts, so `<LF>.<LF>` or `<CR>.<CR>` is message content. Command lines end
/// at LF (a missing CR is tolerated there, as Postfix does); a line longer than the limit is
/// reported and skipped up to its end.
///
/// After a `DATA` or `STARTTLS` command line the framer stops until the session says how to
/// go on (``enterData()``, ``resumeCommands()`` or ``discardForTLS()``), so bytes pipelined
/// behind those commands are never misread.
public struct SMTPFramer: Sendable {
    public enum Frame: Sendable, Equatable {
        case command([UInt8])
        case lineTooLong
        /// Message content (dot-unstuffed, CRLF line ends kept).
        case data([UInt8])
        case dataEnd
        /// Bytes of a BDAT chunk.
        case chunk([UInt8])
        /// The end of the chunk announced by the last `BDAT` command.
        case chunkEnd
    }

    enum Mode: Sendable, Equatable {
        case command
        /// Waiting for the session after DATA or STARTTLS.
        case paused
        case data(atLineStart: Bool)
        case chunk(remaining: Int)
        /// Skipping the rest of an over-long line.
        case discardingLine
    }

    public let maxLineBytes: Int
    var buffer: [UInt8] = []
    var start = 0
    var mode = Mode.command

    public init(maxLineBytes: Int = 2048) {
        self.maxLineBytes = maxLineBytes
    }

    /// Bytes received and not yet framed.
    public var bufferedCount: Int { buffer.count - start }

    /// True while part of a command line has arrived and its end has not (including the
    /// rest of an over-long line being skipped); false between commands and in content.
    public var isPartwayThroughCommand: Bool {
        switch mode {
        case .command: bufferedCount > 0
        case .discardingLine: true
        case .paused, .data, .chunk: false
        }
    }

    public mutating func feed(_ bytes: some Collection<UInt8>) {
        if start > 0, start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65_536 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Switches to message content after the session answered `354`.
    public mutating func enterData() {
        mode = .data(atLineStart: true)
    }

    /// Goes on reading commands (DATA or STARTTLS was refused).
    public mutating func resumeCommands() {
        mode = .command
    }

    /// Goes on reading commands if still paused (the session refused DATA or STARTTLS, or
    /// could not parse them).
    public mutating func resumeIfPaused() {
        if mode == .paused { mode = .command }
    }

    /// TLS starts now: drops what the client sent in clear text behind STARTTLS and returns
    /// how many bytes that was (a client that pipelines there is broken or hostile).
    public mutating func discardForTLS() -> Int {
        let dropped = bufferedCount
        buffer.removeAll(keepingCapacity: true)
        start = 0
        mode = .command
        return dropped
    }

    /// The next frame, or nil when more bytes are needed (or the framer is paused).
    public mutating func next() -> Frame? {
        switch mode {
        case .paused:
            return nil
        case .command:
            return nextCommand()
        case .discardingLine:
            guard let lf = indexOfLF(from: start) else {
                start = buffer.count
                return nil
            }
            start = lf + 1
            mode = .command
            return nextCommand()
        case .chunk(let remaining):
            if remaining == 0 {
                mode = .command
                return .chunkEnd
            }
            let available = min(remaining, bufferedCount)
            guard available > 0 else { return nil }
            let bytes = Array(buffer[start..<start + available])
            start += available
            mode = .chunk(remaining: remaining - available)
            return .chunk(bytes)
        case .data(let atLineStart):
            return nextData(atLineStart: atLineStart)
        }
    }

    private mutating func nextCommand() -> Frame? {
        guard let lf = indexOfLF(from: start) else {
            if bufferedCount > maxLineBytes {
                start = buffer.count
                mode = .discardingLine
                return .lineTooLong
            }
            return nil
        }
        var end = lf
        if end > start, buffer[end - 1] == 13 { end -= 1 }
        guard lf - start <= maxLineBytes else {
            start = lf + 1
            return .lineTooLong
        }
        let line = Array(buffer[start..<end])
        start = lf + 1
        if let size = Self.bdatSize(line) {
            mode = .chunk(remaining: size)
        } else if Self.isVerb(line, "DATA") || Self.isVerb(line, "STARTTLS") {
            mode = .paused
        }
        return .command(line)
    }

    /// Content up to the next place that could be the end (`CRLF.CRLF`) or a dot to remove.
    private mutating func nextData(atLineStart: Bool) -> Frame? {
        guard bufferedCount > 0 else { return nil }
        if atLineStart, buffer[start] == 46 {  // "." at the start of a line
            // Need to see what follows the dot: CRLF ends the message, anything else is stuffing.
            guard bufferedCount >= 2 else { return nil }
            if buffer[start + 1] == 13 {
                guard bufferedCount >= 3 else { return nil }
                if buffer[start + 2] == 10 {
                    start += 3
                    mode = .command
                    return .dataEnd
                }
            }
            start += 1  // a stuffed dot: drop it
            mode = .data(atLineStart: false)
            return nextData(atLineStart: false)
        }
        // Content runs up to a CRLF followed by a dot (a line that needs a look), or to the
        // end of what arrived (less a trailing CR, which may start a CRLF).
        var index = start
        while let lf = indexOfLF(from: index) {
            index = lf + 1
            guard lf >= start + 1, buffer[lf - 1] == 13 else { continue }
            if lf + 1 == buffer.count || buffer[lf + 1] == 46 {
                let bytes = Array(buffer[start...lf])
                start = lf + 1
                mode = .data(atLineStart: true)
                return .data(bytes)
            }
        }
        var end = buffer.count
        if buffer[end - 1] == 13 { end -= 1 }
        guard end > start else { return nil }
        let bytes = Array(buffer[start..<end])
        start = end
        mode = .data(atLineStart: false)
        return .data(bytes)
    }

    private func indexOfLF(from index: Int) -> Int? {
        guard index < buffer.count else { return nil }
        return buffer.withUnsafeBufferPointer { pointer -> Int? in
            guard let base = pointer.baseAddress, let found = memchr(base + index, 10, pointer.count - index) else { return nil }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
    }

    static func isVerb(_ line: [UInt8], _ verb: String) -> Bool {
        let verbBytes = Array(verb.utf8)
        guard line.count >= verbBytes.count else { return false }
        for (index, byte) in verbBytes.enumerated() where line[index] & 0xDF != byte { return false }
        return line.count == verbBytes.count || line[verbBytes.count] == 32
    }

    /// The size of a well-formed `BDAT <size> [LAST]` line: its chunk follows whatever the
    /// session answers (RFC 3030 §2), so the framer switches by itself.
    static func bdatSize(_ line: [UInt8]) -> Int? {
        guard isVerb(line, "BDAT"), line.count > 5 else { return nil }
        let words = line[5...].split(separator: 32)
        guard (1...2).contains(words.count), words[0].count <= 12, words[0].allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        if words.count == 2 {
            guard words[1].count == 4, zip(words[1], "LAST".utf8).allSatisfy({ $0 & 0xDF == $1 }) else { return nil }
        }
        return Int(String(decoding: words[0], as: UTF8.self))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
