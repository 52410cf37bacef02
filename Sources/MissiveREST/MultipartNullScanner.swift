#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Finds a JSON `null` in the `envelope` part (or any `application/json` part) of a
/// `multipart/form-data` body streamed in chunks, without buffering the other parts: the
/// document parts are only searched for the next boundary.
struct MultipartNullScanner {
    private enum State {
        case body
        case afterDelimiter(seen: Int)
        case headers
        case done
    }

    private let delimiter: [UInt8]
    private let failure: [Int]
    private var matched = 0
    private var state = State.body
    private var headerBytes: [UInt8] = []
    private var json: JSONNullScanner?

    /// `boundary` from the Content-Type; the body starts as if after a line break so that the
    /// first boundary line matches like the others.
    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        var failure = [Int](repeating: 0, count: delimiter.count)
        var k = 0
        for index in 1..<delimiter.count {
            while k > 0 && delimiter[index] != delimiter[k] { k = failure[k - 1] }
            if delimiter[index] == delimiter[k] { k += 1 }
            failure[index] = k
        }
        self.failure = failure
        matched = 2
    }

    /// Feeds bytes; true once a null literal was seen in a JSON part.
    mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var index = 0
        while index < bytes.count {
            if case .body = state, matched == 0, json == nil {
                // Inside a document: only a CR can start the next delimiter; skip to it.
                guard let found = memchr(base + index, 0x0D, bytes.count - index) else { return false }
                index = base.distance(to: UnsafeRawPointer(found))
            }
            if step(bytes[index]) { return true }
            index += 1
        }
        return false
    }

    private mutating func step(_ byte: UInt8) -> Bool {
        switch state {
        case .done:
            return false
        case .afterDelimiter(let seen):
            // "--" ends the body, "\r\n" starts the next part's headers.
            if seen == 0 {
                state = byte == UInt8(ascii: "-") ? .done : .afterDelimiter(seen: 1)
            } else {
                state = .headers
                headerBytes = []
            }
            return false
        case .headers:
            headerBytes.append(byte)
            if headerBytes.count > 16 * 1024 { state = .done; return false }
            if headerBytes.suffix(4).elementsEqual([13, 10, 13, 10]) {
                let text = String(decoding: headerBytes, as: UTF8.self).lowercased()
                json = text.contains("name=\"envelope\"") || text.contains("application/json") ? JSONNullScanner() : nil
                state = .body
                matched = 0
            }
            return false
        case .body:
            let before = matched
            var k = matched
            while k > 0 && byte != delimiter[k] { k = failure[k - 1] }
            if byte == delimiter[k] { k += 1 }
            // Bytes that left the partial match are part content.
            let released = before + 1 - k
            if released > 0, json != nil {
                var pending = Array(delimiter.prefix(before))
                pending.append(byte)
                if pending.prefix(released).withUnsafeBytes({ json!.scan($0) }) { return true }
            }
            if k == delimiter.count {
                state = .afterDelimiter(seen: 0)
                json = nil
                matched = 0
            } else {
                matched = k
            }
            return false
        }
    }
}
