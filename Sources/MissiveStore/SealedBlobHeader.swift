import Foundation
import MissiveCore

/// The header of an encrypted blob file (format 1), 100 bytes:
///
/// ```
/// 6 bytes  magic "MSVENC"
/// 1 byte   format version (1)
/// 4 bytes  segment size: plaintext bytes per segment (UInt32, big-endian; 64 KiB)
/// 8 bytes  id of the processing key the document key is wrapped for
/// 81 bytes the document key wrapped for that key (``DocumentKeyWrap``)
/// ```
///
/// The segments follow (see ``SegmentCipher``). The whole header is part of every segment's
/// associated data, so a changed byte in it fails the first segment. A file without the
/// magic is a plaintext blob from before encryption at rest (format 0).
struct SealedBlobHeader: Sendable, Hashable {
    static let magic = Data("MSVENC".utf8)
    static let version: UInt8 = 1
    static let size = 6 + 1 + 4 + 8 + DocumentKeyWrap.size
    static let defaultSegmentSize = 64 * 1024
    /// Segment sizes a reader accepts (a damaged header cannot make it allocate gigabytes).
    static let segmentSizes = 16...(16 << 20)

    var segmentSize: Int
    var keyID: Data
    var wrap: DocumentKeyWrap

    init(segmentSize: Int, keyID: Data, wrap: DocumentKeyWrap) {
        precondition(Self.segmentSizes.contains(segmentSize) && keyID.count == 8)
        self.segmentSize = segmentSize
        self.keyID = keyID
        self.wrap = wrap
    }

    /// Parses the first ``size`` bytes of a sealed blob (one that starts with the magic).
    init(parsing bytes: Data) throws {
        let bytes = Data(bytes)
        guard bytes.count == Self.size, bytes.prefix(6) == Self.magic else {
            throw MissiveError(.unavailable, "A stored document is cut short (incomplete header).")
        }
        guard bytes[6] == Self.version else {
            throw MissiveError(.unavailable, "A stored document has an unknown format version (\(bytes[6])).")
        }
        let segmentSize = bytes[7..<11].reduce(0) { $0 << 8 | Int($1) }
        guard Self.segmentSizes.contains(segmentSize) else {
            throw MissiveError(.unavailable, "A stored document has a damaged header (segment size).")
        }
        self.segmentSize = segmentSize
        keyID = bytes.subdata(in: 11..<19)
        wrap = try DocumentKeyWrap(bytes.subdata(in: 19..<Self.size))
    }

    /// True if `prefix` (a file's first bytes) starts like a sealed blob.
    static func isSealed(_ prefix: Data) -> Bool {
        prefix.starts(with: magic)
    }

    /// The serialized header.
    var bytes: Data {
        var data = Self.magic
        data.append(Self.version)
        data.append(contentsOf: withUnsafeBytes(of: UInt32(segmentSize).bigEndian, Array.init))
        data.append(keyID)
        data.append(wrap.bytes)
        return data
    }
}
