#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Recognises PDF documents while they stream in: checks the header and trailer, notices
/// indirect objects and counts page objects. It does not render or fully parse the file;
/// content scanning is separate.
public struct PDFInspector: Sendable {
    /// Progress in "/Type".
    private var typeMatched = 0
    /// After "/Type": -1 not there, 0 skipping white space, 1…5 progress in "/Page".
    private var pageMatched = -1
    /// Progress in "endobj".
    private var endobjMatched = 0
    private var pages = 0
    private var objects = 0

    public init() {}

    /// Feeds the next chunk.
    public mutating func consume(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { consume($0) }
    }

    /// Feeds the next chunk.
    public mutating func consume(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { consume($0) }
    }

    /// Feeds the next chunk.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer) {
        let type: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0x2F, 0x54, 0x79, 0x70, 0x65)  // "/Type"
        let page: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0x2F, 0x50, 0x61, 0x67, 0x65)  // "/Page"
        let endobj: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0x65, 0x6E, 0x64, 0x6F, 0x62, 0x6A)  // "endobj"
        guard let base = bytes.baseAddress else { return }
        var index = 0
        let count = bytes.count
        while index < count {
            if typeMatched == 0, pageMatched < 0, endobjMatched == 0 {
                if objects > 0 {
                    // One object is enough to know; now only "/" can start "/Type".
                    guard let found = memchr(base + index, 0x2F, count - index) else { return }
                    index = base.distance(to: UnsafeRawPointer(found))
                } else {
                    // Only "/" or "e" can start a token of interest.
                    while index < count, base.load(fromByteOffset: index, as: UInt8.self) != 0x2F, base.load(fromByteOffset: index, as: UInt8.self) != 0x65 {
                        index += 1
                    }
                    if index == count { return }
                }
            }
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            index += 1
            // "endobj" (until the first one)
            if objects == 0 {
                let expectedEnd = Self.byte(endobjMatched, of: endobj)
                if byte == expectedEnd {
                    endobjMatched += 1
                    if endobjMatched == 6 {
                        objects += 1
                        endobjMatched = 0
                    }
                } else {
                    endobjMatched = byte == endobj.0 ? 1 : 0
                }
            }

            // "/Type" [white space] "/Page" followed by a delimiter
            if pageMatched >= 0 {
                if pageMatched == 0, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0x0C || byte == 0x00 {
                    continue
                }
                if pageMatched == 5 {
                    // A letter or digit continues the name (/Pages, /PageLabel); else a page.
                    let isNameCharacter = (65...90).contains(byte) || (97...122).contains(byte) || (48...57).contains(byte)
                    if !isNameCharacter { pages += 1 }
                    pageMatched = -1
                } else {
                    let expected = Self.byte(pageMatched, of: page)
                    if byte == expected {
                        pageMatched += 1
                        continue
                    }
                    pageMatched = -1
                }
            }
            let expectedType = Self.byte(typeMatched, of: type)
            if byte == expectedType {
                typeMatched += 1
                if typeMatched == 5 {
                    typeMatched = 0
                    pageMatched = 0
                }
            } else {
                typeMatched = byte == type.0 ? 1 : 0
            }
        }
    }

    /// The `index`th byte of a tuple of bytes.
    @inline(__always)
    private static func byte<Bytes>(_ index: Int, of literal: Bytes) -> UInt8 {
        withUnsafeBytes(of: literal) { $0[index] }
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
