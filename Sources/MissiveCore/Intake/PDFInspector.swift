/// Recognises PDF documents while they stream in: checks the header and trailer and counts
/// page objects. It does not render or fully parse the file; content scanning is separate.
public struct PDFInspector: Sendable {
    private var matched = 0
    private var pendingPage = false
    private var pages = 0
    private static let needle = Array("/Type".utf8)
    private static let page = Array("/Page".utf8)
    private var afterType: [UInt8] = []
    private var inAfterType = false
    private static let endobj = Array("endobj".utf8)
    private var endobjMatched = 0
    private var objects = 0

    public init() {}

    /// Feeds the next chunk.
    public mutating func consume(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { step(byte) }
    }

    private mutating func step(_ byte: UInt8) {
        if byte == Self.endobj[endobjMatched] {
            endobjMatched += 1
            if endobjMatched == Self.endobj.count {
                objects += 1
                endobjMatched = 0
            }
        } else {
            endobjMatched = byte == Self.endobj[0] ? 1 : 0
        }
        if inAfterType {
            if afterType.isEmpty, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                return
            }
            afterType.append(byte)
            if afterType.count <= Self.page.count {
                if afterType[afterType.count - 1] != Self.page[afterType.count - 1] {
                    inAfterType = false
                    afterType = []
                }
                return
            }
            // One byte after "/Page": a delimiter means a page; a letter means another name
            // (/Pages is the tree, /PageLabel a label).
            let isLetter = (65...90).contains(byte) || (97...122).contains(byte) || (48...57).contains(byte)
            let isPage = !isLetter
            if isPage { pages += 1 }
            inAfterType = false
            afterType = []
            return
        }
        if byte == Self.needle[matched] {
            matched += 1
            if matched == Self.needle.count {
                matched = 0
                inAfterType = true
            }
        } else {
            matched = byte == Self.needle[0] ? 1 : 0
        }
    }

    /// True once at least one indirect object (`… obj … endobj`) was seen: a PDF has some.
    public var hasObjects: Bool { objects > 0 }

    /// The number of page objects seen (nil when none could be counted, e.g. object streams).
    public var pageCount: Int? { pages > 0 ? pages : nil }

    /// Checks that `head` starts a PDF and `tail` ends one.
    public static func validate(head: [UInt8], tail: [UInt8]) throws(MissiveError) {
        guard head.starts(with: Array("%PDF-".utf8)) else {
            throw MissiveError(.invalidDocument, "The document is not a PDF (no %PDF- header).")
        }
        let marker = Array("%%EOF".utf8)
        let window = tail.suffix(1024)
        var found = false
        if window.count >= marker.count {
            for start in window.indices.dropLast(marker.count - 1) where window[start..<(start + marker.count)].elementsEqual(marker) {
                found = true
                break
            }
        }
        guard found else {
            throw MissiveError(.invalidDocument, "The PDF is truncated (no %%EOF trailer).")
        }
    }
}
