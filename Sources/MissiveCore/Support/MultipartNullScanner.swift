#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Finds a JSON `null` in the `envelope` part (or any `application/json` part) of a
/// `multipart/form-data` body streamed in chunks, without buffering the other parts: the
/// document parts are only searched for the next boundary. Used by the REST ingress
/// (`BodyLimit`) and fuzzed by `FormDataFuzzTarget`.
package struct MultipartNullScanner {
    private enum State {
        case body
        case afterDelimiter(seen: Int)
        case headers
        case done
    }

    private var boundary: BoundaryMatcher
    private var state = State.body
    private var headerBytes: [UInt8] = []
    private var json: JSONNullScanner?

    /// `boundary` from the Content-Type; the body starts as if after a line break so that the
    /// first boundary line matches like the others.
    package init(boundary: String) {
        self.boundary = BoundaryMatcher(boundary: boundary)
    }

    /// `multipart/form-data; boundary=<boundary>`: the Content-Type to hand on to the
    /// multipart parser (OpenAPIRuntime), which neither unquotes parameters nor reads one
    /// with `;` or `=` in it, so that it splits the body at the very boundary this scanner
    /// searches. Nil for a boundary outside RFC 2046's characters (`bcharsnospace`: letters,
    /// digits and `'()+_,-./:?`; `=` and the inner space are left out for that parser).
    package static func formDataContentType(boundary: String) -> String? {
        let allowed = Set("'()+_,-./:?".utf8)
        guard (1...70).contains(boundary.utf8.count),
            boundary.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || allowed.contains($0) })
        else { return nil }
        return "multipart/form-data; boundary=\(boundary)"
    }

    /// Feeds bytes; true once a null literal was seen in a JSON part.
    package mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var index = 0
        while index < bytes.count {
            if case .body = state, boundary.matched == 0, json == nil {
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
                boundary.reset()
            }
            return false
        case .body:
            let (before, released, complete) = boundary.step(byte)
            // Bytes that left the partial match are part content.
            if released > 0, json != nil {
                var pending = Array(boundary.delimiter.prefix(before))
                pending.append(byte)
                if pending.prefix(released).withUnsafeBytes({ json!.scan($0) }) { return true }
            }
            if complete {
                state = .afterDelimiter(seen: 0)
                json = nil
            }
            return false
        }
    }
}
