#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Vectorised byte searches (libc `memchr`) for the reader's hot paths.
enum ByteScan {
    /// The index of the first LF in `buffer` at or after `start`.
    static func lineFeed(in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < buffer.count, let base = buffer.baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(ASCII.lf), buffer.count - start) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// Whether `count` bytes at `start` in `buffer` equal the first `count` bytes of `bytes`.
    static func equal(_ buffer: UnsafeBufferPointer<UInt8>, at start: Int, _ bytes: [UInt8], count: Int) -> Bool {
        guard count > 0 else { return true }
        return bytes.withUnsafeBufferPointer { memcmp(buffer.baseAddress! + start, $0.baseAddress!, count) == 0 }
    }
}
