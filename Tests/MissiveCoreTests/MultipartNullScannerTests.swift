import MissiveCore
import Testing

@Suite("multipart/form-data null scan")
struct MultipartNullScannerTests {
    static func body(boundary: String, envelope: String) -> [UInt8] {
        Array((
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"envelope\"\r\nContent-Type: application/json\r\n\r\n\(envelope)\r\n"
            + "--\(boundary)\r\nContent-Disposition: form-data; name=\"document\"\r\n\r\n%PDF-1.4 null\r\n--\(boundary)--\r\n"
        ).utf8)
    }

    static func scan(_ bytes: [UInt8], boundary: String, chunk: Int) -> Bool {
        var scanner = MultipartNullScanner(boundary: boundary)
        for start in stride(from: 0, to: bytes.count, by: chunk) where bytes[start..<min(bytes.count, start + chunk)].withUnsafeBytes({ scanner.scan($0) }) {
            return true
        }
        return false
    }

    @Test("a null in the envelope part is found, a 'null' in a document is not", arguments: [1, 3, 1000])
    func nulls(chunk: Int) {
        #expect(Self.scan(Self.body(boundary: "b", envelope: "{\"title\":null}"), boundary: "b", chunk: chunk))
        #expect(!Self.scan(Self.body(boundary: "b", envelope: "{\"title\":\"null\"}"), boundary: "b", chunk: chunk))
    }

    /// Found by fuzzing (fuzz/crashes/form-data/): with `boundary="b"` the scan looked for
    /// `--b` while OpenAPIRuntime, which does not unquote parameters, split the body at
    /// `--"b"`; a body written with `--"b"` lines passed its nulls through, and one written
    /// correctly with `--b` lines was refused. BodyLimit now hands on this Content-Type.
    @Test("the Content-Type handed to the multipart parser names the scanned boundary")
    func canonicalContentType() {
        #expect(MultipartNullScanner.formDataContentType(boundary: "b") == "multipart/form-data; boundary=b")
        #expect(MultipartNullScanner.formDataContentType(boundary: "----WebKitFormBoundary7MA4YWxkTrZu0gW") != nil)
        #expect(MultipartNullScanner.formDataContentType(boundary: "'()+_,-./:?09azAZ") != nil)
        for refused in ["", "\"b\"", "a;b", "a=b", "a b", "a\r\nb", String(repeating: "x", count: 71), "ä"] {
            #expect(MultipartNullScanner.formDataContentType(boundary: refused) == nil, "\(refused)")
        }
    }
}
