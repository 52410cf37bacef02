import Foundation

/// A plain one-page A4 PDF with lines of text, for the letters Missive itself sends (the
/// verification letter of an organisation). Helvetica, WinAnsi: characters outside Latin-1
/// are replaced by "?". Deterministic for the same lines.
public enum LetterPDF {
    /// The PDF bytes: `lines` from the top left, `size` points, 1.4 × size apart.
    public static func make(lines: [String], size: Int = 11) -> Data {
        var stream = "BT\n/F1 \(size) Tf\n\(size * 14 / 10) TL\n72 770 Td\n"
        for line in lines {
            stream += "(\(escape(line))) Tj T*\n"
        }
        stream += "ET\n"
        let content = Array(stream.utf8)
        var objects: [[UInt8]] = []
        objects.append(Array("<< /Type /Catalog /Pages 2 0 R >>".utf8))
        objects.append(Array("<< /Type /Pages /Kids [3 0 R] /Count 1 >>".utf8))
        objects.append(Array("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".utf8))
        objects.append(Array("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".utf8))
        objects.append(Array("<< /Length \(content.count) >>\nstream\n".utf8) + content + Array("endstream".utf8))
        var pdf = Array("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8)
        var offsets: [Int] = []
        for (index, body) in objects.enumerated() {
            offsets.append(pdf.count)
            pdf += Array("\(index + 1) 0 obj\n".utf8) + body + Array("\nendobj\n".utf8)
        }
        let xref = pdf.count
        pdf += Array("xref\n0 \(objects.count + 1)\n0000000000 65535 f \n".utf8)
        for offset in offsets {
            pdf += Array(String(format: "%010d 00000 n \n", offset).utf8)
        }
        pdf += Array("trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n".utf8)
        return Data(pdf)
    }

    /// A PDF string literal's content: Latin-1 bytes as octal escapes where needed.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "(", ")", "\\": out += "\\" + String(scalar)
            case " "..."~": out.unicodeScalars.append(scalar)
            case "\u{A0}"..."\u{FF}": out += String(format: "\\%03o", scalar.value)
            default: out += "?"
            }
        }
        return out
    }
}
