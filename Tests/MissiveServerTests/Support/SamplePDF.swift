import Foundation

/// Small, well-formed one-page PDFs built in memory (header, objects, xref, trailer, `%%EOF`).
enum SamplePDF {
    /// A PDF whose bytes differ by `note` (a comment line) and grow by `padding` bytes.
    static func make(note: String = "sample", padding: Int = 0) -> Data {
        var text = "%PDF-1.7\n%\u{E2}\u{E3}\u{CF}\u{D3}\n% \(note)\n"
        if padding > 0 {
            text += "%" + String(repeating: "x", count: padding) + "\n"
        }
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R >>",
            "<< /Length 0 >>\nstream\n\nendstream",
        ]
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(text.utf8.count)
            text += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = text.utf8.count
        text += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets {
            text += String(repeating: "0", count: 10 - String(offset).count) + "\(offset) 00000 n \n"
        }
        text += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Data(text.utf8)
    }

    /// A PDF cut off before its trailer: it starts like a PDF but has no `%%EOF`.
    static func truncated() -> Data {
        let whole = make(note: "truncated")
        return whole.prefix(whole.count / 2)
    }
}
