/// Decodes quoted-printable (RFC 2045 §6.7) that arrives in pieces of any size: `=XX` (hex
/// digits of either case), soft line breaks (`=` before the line break, transport whitespace
/// allowed in between) and removal of trailing whitespace at line ends. Line breaks are
/// kept as received (CRLF or a bare LF). Following note 2 of §6.7, a `=` that starts no valid
/// sequence is kept as it is rather than refused, as mail readers do.
struct QuotedPrintableDecoder: Sendable {
    private enum State: Sendable {
        /// `held` is a run of spaces and tabs that is dropped if the line ends next.
        case text
        /// `held` is whitespace and a CR that may start the line break.
        case textCR
        /// `held` is `=`.
        case equals
        /// `held` is `=` and one hex digit (its value).
        case equalsHex(UInt8)
        /// `held` is `=` and whitespace: a soft line break if the line ends next.
        case equalsSpace
        /// `held` is `=`, maybe whitespace, and a CR.
        case equalsCR
    }

    private var state = State.text
    /// Bytes whose meaning depends on what follows (at most ``maxHeld``).
    private var held: [UInt8] = []
    private static let maxHeld = 256

    /// Decodes `input`, appending the bytes to `output`.
    mutating func decode(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        guard !input.isEmpty else { return }
        let decoded = [UInt8](unsafeUninitializedCapacity: input.count + held.count + 2) { buffer, count in
            count = run(input, into: buffer.baseAddress!)
        }
        output.appendDecoded(decoded)
    }

    /// Ends the part. Its last line break belonged to the boundary delimiter, so the end is
    /// a line end: trailing whitespace and a final soft line break are dropped.
    mutating func finish(into output: inout [UInt8]) {
        switch state {
        case .text, .equals, .equalsSpace, .equalsCR:
            break
        case .textCR, .equalsHex:
            output.append(contentsOf: held)
        }
        held.removeAll()
        state = .text
    }

    private mutating func run(_ input: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var written = 0
        func emit(_ byte: UInt8) {
            out[written] = byte
            written += 1
        }
        func release(_ held: inout [UInt8]) {
            guard !held.isEmpty else { return }
            held.withUnsafeBufferPointer { (out + written).update(from: $0.baseAddress!, count: $0.count) }
            written += held.count
            held.removeAll(keepingCapacity: true)
        }
        guard let bytes = input.baseAddress else { return 0 }
        let count = input.count
        var index = 0
        while index < count {
            let byte = bytes[index]
            switch state {
            case .text:
                if byte != ASCII.equals, byte >= ASCII.space || byte == ASCII.tab {
                    // The common case: a run of literal bytes. Whitespace at its end is held,
                    // since it is dropped if the line ends next.
                    var end = index + 1
                    while end < count {
                        let next = bytes[end]
                        guard next != ASCII.equals, next >= ASCII.space || next == ASCII.tab else { break }
                        end += 1
                    }
                    var literalEnd = end
                    while literalEnd > index, ASCII.isWhitespace(bytes[literalEnd - 1]) { literalEnd -= 1 }
                    if literalEnd > index {
                        release(&held)
                        (out + written).update(from: bytes + index, count: literalEnd - index)
                        written += literalEnd - index
                    }
                    held.append(contentsOf: UnsafeBufferPointer(start: bytes + literalEnd, count: end - literalEnd))
                    if held.count > Self.maxHeld { release(&held) }
                    index = end
                    continue
                } else if byte == ASCII.cr {
                    held.append(byte)
                    state = .textCR
                } else if byte == ASCII.lf {
                    held.removeAll(keepingCapacity: true)
                    emit(byte)
                } else if byte == ASCII.equals {
                    release(&held)
                    if index + 2 < count, let high = ASCII.hexValue(bytes[index + 1]), let low = ASCII.hexValue(bytes[index + 2]) {
                        emit(high << 4 | low)
                        index += 3
                        continue
                    }
                    held.append(byte)
                    state = .equals
                } else {
                    release(&held)
                    emit(byte)
                }
            case .textCR:
                state = .text
                if byte == ASCII.lf {
                    held.removeAll(keepingCapacity: true)
                    emit(ASCII.cr)
                    emit(ASCII.lf)
                } else {
                    release(&held)  // a bare CR is data
                    continue
                }
            case .equals:
                if let value = ASCII.hexValue(byte) {
                    held.append(byte)
                    state = .equalsHex(value)
                } else if ASCII.isWhitespace(byte) {
                    held.append(byte)
                    state = .equalsSpace
                } else if byte == ASCII.cr {
                    held.append(byte)
                    state = .equalsCR
                } else if byte == ASCII.lf {
                    held.removeAll(keepingCapacity: true)  // soft line break
                    state = .text
                } else {
                    release(&held)
                    state = .text
                    continue
                }
            case .equalsHex(let high):
                state = .text
                if let low = ASCII.hexValue(byte) {
                    held.removeAll(keepingCapacity: true)
                    emit(high << 4 | low)
                } else {
                    release(&held)
                    continue
                }
            case .equalsSpace:
                if ASCII.isWhitespace(byte), held.count < Self.maxHeld {
                    held.append(byte)
                } else if byte == ASCII.cr {
                    held.append(byte)
                    state = .equalsCR
                } else if byte == ASCII.lf {
                    held.removeAll(keepingCapacity: true)
                    state = .text
                } else {
                    release(&held)
                    state = .text
                    continue
                }
            case .equalsCR:
                state = .text
                if byte == ASCII.lf {
                    held.removeAll(keepingCapacity: true)
                } else {
                    release(&held)
                    continue
                }
            }
            index += 1
        }
        return written
    }
}
