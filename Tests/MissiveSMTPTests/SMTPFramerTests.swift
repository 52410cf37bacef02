import MissiveSMTP
import Testing

@Suite("SMTP framer (pure)")
struct SMTPFramerTests {
    /// Feeds `input` in chunks of `chunk` bytes, calling `react` for every frame.
    static func frames(_ input: String, chunk: Int = 1000, maxLine: Int = 2048, react: (inout SMTPFramer, SMTPFramer.Frame) -> Void = { _, _ in }) -> [SMTPFramer.Frame] {
        var framer = SMTPFramer(maxLineBytes: maxLine)
        var out: [SMTPFramer.Frame] = []
        let bytes = Array(input.utf8)
        var index = 0
        while index < bytes.count {
            framer.feed(bytes[index..<min(bytes.count, index + chunk)])
            index += chunk
            while let frame = framer.next() {
                out.append(frame)
                react(&framer, frame)
            }
        }
        return out
    }

    /// Frames, with the session's answer to DATA simulated (enter data mode).
    static func session(_ input: String, chunk: Int = 1000) -> [SMTPFramer.Frame] {
        frames(input, chunk: chunk) { framer, frame in
            if case .command(let line) = frame, String(decoding: line, as: UTF8.self).uppercased() == "DATA" { framer.enterData() }
        }
    }

    /// Message content joined, per message.
    static func messages(_ frames: [SMTPFramer.Frame]) -> [String] {
        var messages: [String] = []
        var current = ""
        for frame in frames {
            switch frame {
            case .data(let bytes): current += String(decoding: bytes, as: UTF8.self)
            case .dataEnd:
                messages.append(current)
                current = ""
            default: break
            }
        }
        return messages
    }

    @Test("command lines end at CRLF (or a bare LF); pipelined commands come one by one")
    func commands() {
        let frames = Self.frames("EHLO a\r\nMAIL FROM:<x@y>\nRCPT TO:<z@w>\r\n")
        #expect(frames == [.command(Array("EHLO a".utf8)), .command(Array("MAIL FROM:<x@y>".utf8)), .command(Array("RCPT TO:<z@w>".utf8))])
    }

    @Test("a partly received command is known (the session's command deadline), also while an over-long line is skipped")
    func partwayThroughCommand() {
        var framer = SMTPFramer(maxLineBytes: 16)
        #expect(!framer.isPartwayThroughCommand)
        framer.feed(Array("EHL".utf8))
        #expect(framer.next() == nil)
        #expect(framer.isPartwayThroughCommand)
        framer.feed(Array("O a\r\n".utf8))
        #expect(framer.next() == .command(Array("EHLO a".utf8)))
        #expect(!framer.isPartwayThroughCommand)
        framer.feed(Array(String(repeating: "x", count: 40).utf8))
        #expect(framer.next() == .lineTooLong)
        while framer.next() != nil {}
        #expect(framer.isPartwayThroughCommand)  // nothing buffered, but the line has not ended
        framer.feed(Array("\r\nDATA\r\n".utf8))
        #expect(framer.next() == .command(Array("DATA".utf8)))
        framer.enterData()
        framer.feed(Array("content without an end".utf8))
        _ = framer.next()
        #expect(!framer.isPartwayThroughCommand)  // message content has its own (idle) timeout
    }

    @Test("DATA content is dot-unstuffed and ends only at CRLF.CRLF, whatever the chunking", arguments: [1, 2, 3, 5, 1000])
    func data(_ chunk: Int) {
        let frames = Self.session("DATA\r\nline 1\r\n..dot\r\n.\r\nQUIT\r\n", chunk: chunk)
        #expect(Self.messages(frames) == ["line 1\r\n.dot\r\n"])
        #expect(frames.last == .command(Array("QUIT".utf8)))
    }

    @Test("bare LF or CR around a dot never ends DATA (SMTP smuggling)", arguments: [1, 7, 1000])
    func smuggling(_ chunk: Int) {
        let smuggled = "a\n.\nMAIL FROM:<evil@x>\r\nRCPT TO:<v@y>\r\nDATA\r\nb\r.\rc\r\n.\r\n"
        let frames = Self.session("DATA\r\n" + smuggled + "NOOP\r\n", chunk: chunk)
        #expect(Self.messages(frames) == ["a\n.\nMAIL FROM:<evil@x>\r\nRCPT TO:<v@y>\r\nDATA\r\nb\r.\rc\r\n"])
        #expect(frames.filter { if case .command = $0 { true } else { false } } == [.command(Array("DATA".utf8)), .command(Array("NOOP".utf8))])
        // LF.CRLF is not the end either: the dot must follow a CRLF.
        #expect(Self.messages(Self.session("DATA\r\nx\n.\r\ny\r\n.\r\n", chunk: chunk)) == ["x\n.\r\ny\r\n"])
    }

    @Test("after DATA or STARTTLS the framer waits for the session")
    func pauses() {
        var framer = SMTPFramer()
        framer.feed(Array("DATA\r\nRSET\r\n".utf8))
        #expect(framer.next() == .command(Array("DATA".utf8)))
        #expect(framer.next() == nil)
        framer.resumeCommands()  // DATA refused: what follows is commands again
        #expect(framer.next() == .command(Array("RSET".utf8)))

        framer.feed(Array("STARTTLS\r\nMAIL FROM:<x@y>\r\n".utf8))
        #expect(framer.next() == .command(Array("STARTTLS".utf8)))
        #expect(framer.next() == nil)
        #expect(framer.discardForTLS() == "MAIL FROM:<x@y>\r\n".utf8.count)
        #expect(framer.next() == nil)
    }

    @Test("BDAT chunks are exactly the announced size; a wrong size leaves the rest as commands", arguments: [1, 4, 1000])
    func bdat(_ chunk: Int) {
        let frames = Self.frames("BDAT 5\r\nab\r\ncBDAT 3 LAST\r\nxyzNOOP\r\n", chunk: chunk)
        var chunks = ""
        var commands: [String] = []
        var ends = 0
        for frame in frames {
            switch frame {
            case .chunk(let bytes): chunks += String(decoding: bytes, as: UTF8.self)
            case .chunkEnd: ends += 1
            case .command(let line): commands.append(String(decoding: line, as: UTF8.self))
            default: break
            }
        }
        #expect(chunks == "ab\r\ncxyz")
        #expect(ends == 2)
        #expect(commands == ["BDAT 5", "BDAT 3 LAST", "NOOP"])
        // Too small a size: the remaining bytes are read as (unknown) commands.
        let wrong = Self.frames("BDAT 2\r\nabcd\r\n")
        #expect(wrong.contains(.command(Array("cd".utf8))))
        // BDAT 0 LAST is an empty last chunk.
        #expect(Self.frames("BDAT 0 LAST\r\n").suffix(1) == [.chunkEnd])
    }

    @Test("an over-long command line is reported once and skipped to its end")
    func longLines() {
        let frames = Self.frames(String(repeating: "A", count: 5000) + "\r\nNOOP\r\n", chunk: 512, maxLine: 1000)
        #expect(frames == [.lineTooLong, .command(Array("NOOP".utf8))])
        // DATA lines may be longer than command lines.
        #expect(Self.messages(Self.session("DATA\r\n" + String(repeating: "b", count: 5000) + "\r\n.\r\n", chunk: 100)) == [String(repeating: "b", count: 5000) + "\r\n"])
    }
}
