/// Decodes base64 (RFC 2045 §6.8) that arrives in pieces of any size, keeping only the
/// sextets of an incomplete quantum. Spaces, tabs, CRs and LFs are skipped; any other
/// character outside the alphabet, padding anywhere but at the end, data after padding and
/// an incomplete final quantum are errors (strict, so content cannot hide in noise).
public struct Base64Decoder: Sendable {
    private var accumulator: UInt32 = 0
    /// Sextets of the current quantum (0–3).
    private var sextets = 0
    /// `=` seen in the current quantum.
    private var padding = 0
    /// A padded quantum ended the data: only whitespace may follow.
    private var ended = false

    private static let skip: UInt8 = 0x40
    private static let pad: UInt8 = 0x41
    private static let invalid: UInt8 = 0xFF

    /// Sextet values; ``skip`` for whitespace, ``pad`` for `=`, ``invalid`` otherwise.
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        for character in [ASCII.space, ASCII.tab, ASCII.cr, ASCII.lf] { table[Int(character)] = skip }
        table[Int(ASCII.equals)] = pad
        return table
    }()

    private enum Failure {
        case character, misplacedPadding, dataAfterPadding

        var error: MIMEError {
            switch self {
            case .character: MIMEError(.invalidBase64, "a character outside the base64 alphabet")
            case .misplacedPadding: MIMEError(.invalidBase64, "misplaced base64 padding")
            case .dataAfterPadding: MIMEError(.invalidBase64, "base64 data after the final padding")
            }
        }
    }

    public init() {}

    /// Decodes `input`, appending the bytes to `output`.
    public mutating func decode(_ input: [UInt8], into output: inout [UInt8]) throws(MIMEError) {
        try input.withUnsafeBufferPointer { (buffer) throws(MIMEError) in try decode(buffer, into: &output) }
    }

    /// Decodes `input`, appending the bytes to `output`.
    mutating func decode(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) throws(MIMEError) {
        guard !input.isEmpty else { return }
        var failure: Failure?
        let decoded = [UInt8](unsafeUninitializedCapacity: input.count / 4 * 3 + 6) { buffer, count in
            count = Self.table.withUnsafeBufferPointer { table in
                run(input, table: table, into: buffer.baseAddress!, failure: &failure)
            }
        }
        output.appendDecoded(decoded)
        if let failure { throw failure.error }
    }

    /// Ends the data: an incomplete quantum is an error.
    public func finish() throws(MIMEError) {
        guard sextets == 0, padding == 0 else {
            throw MIMEError(.invalidBase64, "the base64 data ends inside a quantum")
        }
    }

    /// The decoding loop; returns how many bytes it wrote to `out`. Whole quanta of four
    /// alphabet characters (the bulk of every line) take a fast path.
    private mutating func run(
        _ input: UnsafeBufferPointer<UInt8>, table: UnsafeBufferPointer<UInt8>,
        into out: UnsafeMutablePointer<UInt8>, failure: inout Failure?
    ) -> Int {
        guard let characters = input.baseAddress, let values = table.baseAddress else { return 0 }
        let count = input.count
        var accumulator = self.accumulator
        var sextets = self.sextets
        var written = 0
        var index = 0
        defer {
            self.accumulator = accumulator
            self.sextets = sextets
        }
        while index < count {
            if sextets == 0, padding == 0, !ended, index + 4 <= count {
                let a = values[Int(characters[index])]
                let b = values[Int(characters[index + 1])]
                let c = values[Int(characters[index + 2])]
                let d = values[Int(characters[index + 3])]
                if a | b | c | d < 64 {
                    let quantum = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    out[written] = UInt8(truncatingIfNeeded: quantum >> 16)
                    out[written + 1] = UInt8(truncatingIfNeeded: quantum >> 8)
                    out[written + 2] = UInt8(truncatingIfNeeded: quantum)
                    written += 3
                    index += 4
                    continue
                }
            }
            let value = values[Int(characters[index])]
            index += 1
            if value < 64 {
                guard padding == 0, !ended else {
                    failure = .dataAfterPadding
                    return written
                }
                accumulator = accumulator << 6 | UInt32(value)
                sextets += 1
                if sextets == 4 {
                    out[written] = UInt8(truncatingIfNeeded: accumulator >> 16)
                    out[written + 1] = UInt8(truncatingIfNeeded: accumulator >> 8)
                    out[written + 2] = UInt8(truncatingIfNeeded: accumulator)
                    written += 3
                    sextets = 0
                    accumulator = 0
                }
            } else if value == Self.skip {
                continue
            } else if value == Self.pad {
                if !ended, padding == 0, sextets == 3 {
                    out[written] = UInt8(truncatingIfNeeded: accumulator >> 10)
                    out[written + 1] = UInt8(truncatingIfNeeded: accumulator >> 2)
                    written += 2
                } else if !ended, padding == 0, sextets == 2 {
                    padding = 1
                    continue
                } else if !ended, padding == 1, sextets == 2 {
                    out[written] = UInt8(truncatingIfNeeded: accumulator >> 4)
                    written += 1
                } else {
                    failure = .misplacedPadding
                    return written
                }
                ended = true
                padding = 0
                sextets = 0
                accumulator = 0
            } else {
                failure = .character
                return written
            }
        }
        return written
    }
}
