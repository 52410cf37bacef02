/// Splits a fuzz input into the chunks an adapter would receive from the network.
///
/// The chunk size follows from the input's length (1 to 61 bytes), so every input is used
/// whole as content and the fuzzer still explores different split points by growing or
/// shrinking it. Streaming readers are fed both in one piece and in these chunks, and must
/// answer the same.
enum InputChunks {
    /// The chunk size for `input`.
    static func size(for input: [UInt8]) -> Int {
        1 + input.count % 61
    }

    /// `input` in consecutive chunks of ``size(for:)`` bytes (none when `input` is empty).
    static func split(_ input: [UInt8]) -> [ArraySlice<UInt8>] {
        let size = size(for: input)
        return stride(from: 0, to: input.count, by: size).map { input[$0..<min($0 + size, input.count)] }
    }
}
