import MissiveCore
import Testing

@Suite("PDFInspector")
struct PDFInspectorTests {
    // MARK: Header and trailer

    static let minimal = Array("""
        %PDF-1.7
        1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
        trailer << /Root 1 0 R >>
        %%EOF

        """.utf8)

    @Test("a PDF with header and trailer passes")
    func validPDF() throws {
        try PDFInspector.validate(head: Array(Self.minimal.prefix(1024)), tail: Array(Self.minimal.suffix(1024)))
    }

    @Test("a document without %PDF- is refused", arguments: ["", "%PDF", "PDF-1.7", " %PDF-1.7", "%pdf-1.7", "<html>", "\u{FEFF}%PDF-1.7"])
    func notAPDF(_ head: String) {
        let error = #expect(throws: MissiveError.self) { try PDFInspector.validate(head: Array(head.utf8), tail: Array("%%EOF\n".utf8)) }
        #expect(error?.code == .invalidDocument)
    }

    @Test("a truncated PDF (no %%EOF) is refused", arguments: ["", "%%EO", "%%EOX", "trailer << >>\n", "%EOF\n", "%% EOF"])
    func truncated(_ tail: String) {
        let error = #expect(throws: MissiveError.self) { try PDFInspector.validate(head: Array("%PDF-1.4\n".utf8), tail: Array(tail.utf8)) }
        #expect(error?.code == .invalidDocument)
        #expect(error?.reason.contains("truncated") == true)
    }

    @Test("%%EOF may be followed by line ends and padding within the last 1024 bytes", arguments: ["", "\n", "\r\n", "\r", "   \n", "\n\0\0\0"])
    func trailingBytes(_ suffix: String) throws {
        try PDFInspector.validate(head: Self.minimal, tail: Array(("xref\n%%EOF" + suffix).utf8))
    }

    @Test("%%EOF counts only within the last 1024 bytes")
    func window() throws {
        let marker = Array("%%EOF".utf8)
        // Marker starts exactly 1024 bytes before the end: fully inside the window.
        try PDFInspector.validate(head: Self.minimal, tail: Array(repeating: 0x20, count: 500) + marker + Array(repeating: 0x0A, count: 1019))
        // One byte earlier: its first byte falls outside.
        let error = #expect(throws: MissiveError.self) {
            try PDFInspector.validate(head: Self.minimal, tail: Array(repeating: 0x20, count: 500) + marker + Array(repeating: 0x0A, count: 1020))
        }
        #expect(error?.code == .invalidDocument)
        // A tail shorter than the window works, and so does a slice-like large tail.
        try PDFInspector.validate(head: Self.minimal, tail: marker)
        try PDFInspector.validate(head: Self.minimal, tail: Array(repeating: 0x41, count: 100_000) + marker + [0x0A])
    }

    // MARK: Page counting

    /// A PDF with `pages` page objects written in the styles real writers use, plus the
    /// page tree, a catalog, fonts and other `/Type`s that are not pages.
    static func document(pages: Int) -> [UInt8] {
        var text = "%PDF-1.7\n%\u{E2}\u{E3}\u{CF}\u{D3}\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        text += "2 0 obj\n<</Type/Pages/Kids[\((0..<pages).map { "\($0 + 10) 0 R" }.joined(separator: " "))]/Count \(pages)>>\nendobj\n"
        text += "3 0 obj\n<< /Type /Pages\n/Kids [] /Count 0 >>\nendobj\n"
        text += "4 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n"
        text += "5 0 obj\n<< /Type /XObject /Subtype /Image >>\nendobj\n"
        let styles = [
            "<< /Type /Page /Parent 2 0 R >>",
            "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
            "<<\n/Type\n/Page\n/Parent 2 0 R\n>>",
            "<< /Parent 2 0 R /Type /Page>>",
            "<</Type\t/Page>>",
            "<< /Type\r\n/Page /Contents 6 0 R >>",
            "<< /Type  /Page >>",
        ]
        for index in 0..<pages {
            text += "\(index + 10) 0 obj\n\(styles[index % styles.count])\nendobj\n"
        }
        text += "trailer\n<< /Root 1 0 R >>\n%%EOF\n"
        return Array(text.utf8)
    }

    static func count(_ bytes: [UInt8], chunks: [Int]) -> Int? {
        var inspector = PDFInspector()
        var rest = bytes[...]
        var index = 0
        while !rest.isEmpty {
            let size = max(1, chunks.isEmpty ? rest.count : chunks[index % chunks.count])
            inspector.consume(rest.prefix(size))
            rest = rest.dropFirst(size)
            index += 1
        }
        return inspector.pageCount
    }

    @Test("counts /Type /Page objects, not the /Type /Pages tree", arguments: [1, 2, 3, 7, 8, 50])
    func countsPages(_ pages: Int) {
        #expect(Self.count(Self.document(pages: pages), chunks: []) == pages)
    }

    @Test("a document without page objects has no page count")
    func noPages() {
        #expect(PDFInspector().pageCount == nil)
        #expect(Self.count(Self.document(pages: 0), chunks: []) == nil)
        #expect(Self.count(Array("/Type /Pages /Type/Pages /Type /Catalog /Typ /Page /Type /Pag".utf8), chunks: []) == nil)
    }

    @Test("byte by byte gives the same count", arguments: [1, 5, 23])
    func byteByByte(_ pages: Int) {
        #expect(Self.count(Self.document(pages: pages), chunks: [1]) == pages)
    }

    @Test("every split point of '/Type /Page>>' counts one page")
    func everySplit() {
        let bytes = Array("<< /Type /Page>>".utf8)
        for cut in 0...bytes.count {
            var inspector = PDFInspector()
            inspector.consume(bytes[..<cut])
            inspector.consume(bytes[cut...])
            #expect(inspector.pageCount == 1, "cut at \(cut)")
        }
        let tree = Array("<< /Type /Pages>>".utf8)
        for cut in 0...tree.count {
            var inspector = PDFInspector()
            inspector.consume(tree[..<cut])
            inspector.consume(tree[cut...])
            #expect(inspector.pageCount == nil, "cut at \(cut)")
        }
    }

    @Test("random chunk sizes give the same count", arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func randomChunks(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let pages = Int(random.next() % 40) + 1
        let document = Self.document(pages: pages)
        for _ in 0..<25 {
            let chunks = (0..<32).map { _ in Int(random.next() % 97) + 1 }
            #expect(Self.count(document, chunks: chunks) == pages)
        }
    }

    @Test("indirect objects are recognised by endobj, across chunk boundaries")
    func objects() {
        var none = PDFInspector()
        none.consume(Array("%PDF-1.7\n<< /Type /Page >>\nendob\nend obj\nENDOBJ\n%%EOF\n".utf8))
        #expect(!none.hasObjects)
        #expect(!PDFInspector().hasObjects)

        let document = Self.document(pages: 3)
        for chunk in [1, 2, 5, 6, 7, 1000] {
            var inspector = PDFInspector()
            var rest = document[...]
            while !rest.isEmpty {
                inspector.consume(rest.prefix(chunk))
                rest = rest.dropFirst(chunk)
            }
            #expect(inspector.hasObjects, "chunk \(chunk)")
            #expect(inspector.pageCount == 3, "chunk \(chunk)")
        }
        var repeated = PDFInspector()
        repeated.consume(Array("eendobj".utf8))
        #expect(repeated.hasObjects)
    }

    @Test("a page type at the very end of the stream is counted once the next byte arrives")
    func pageAtEnd() {
        var inspector = PDFInspector()
        inspector.consume(Array("/Type /Page".utf8))
        let before = inspector.pageCount
        inspector.consume(Array(">>".utf8))
        #expect(before == nil)
        #expect(inspector.pageCount == 1)
    }

    @Test("other names starting with /Page are not pages")
    func pageLabelIsNotAPage() {
        // Page label dictionaries (PDF 32000-1 §12.4.2) may carry /Type /PageLabel.
        let bytes = Array("<< /Type /Page >> << /Type /PageLabel /S /D >> << /Type/PageLabel/P (A-) >> << /Type /Page2 >> << /Type /Pagex >>".utf8)
        #expect(Self.count(bytes, chunks: []) == 1)
        #expect(Self.count(bytes, chunks: [1]) == 1)
        #expect(Self.count(bytes, chunks: [3, 7]) == 1)
        #expect(Self.count(Array("<< /Type /PageLabel /S /D >>".utf8), chunks: []) == nil)
    }

    @Test("any non-alphanumeric byte after /Page ends the name: a page", arguments: [">", " ", "/", "\n", "\r", "\t", "[", "(", "<", "%", "\0"])
    func delimiterAfterPage(_ delimiter: String) {
        #expect(Self.count(Array("<< /Type /Page\(delimiter)>>".utf8), chunks: []) == 1)
        #expect(Self.count(Array("<< /Type /Page\(delimiter)>>".utf8), chunks: [1]) == 1)
    }
}

/// A small seeded generator so random chunkings are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
