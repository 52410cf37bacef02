import Crypto
import Foundation
import MissiveCore

/// AES-256-GCM over a blob's segments in the STREAM construction (Hoang, Reyhanitabar,
/// Rogaway, Vizár 2015): segment `i` is sealed with the nonce `i` (UInt64, big-endian), three
/// zero bytes and a last byte that is 1 on the final segment and 0 before it. A flipped bit,
/// swapped or repeated segments, a file cut short (at a segment boundary too: the new last
/// segment was not sealed as final) or extended all fail authentication. The associated data
/// is the blob's header and storage key, which binds the segments to their file.
///
/// Every blob has a fresh document key, so counter nonces never repeat under one key.
struct SegmentCipher {
    static let tagSize = 16
    let key: SymmetricKey
    let associatedData: Data
    /// The index of the next segment.
    private(set) var counter: UInt64 = 0

    init(key: SymmetricKey, header: SealedBlobHeader, storageKey: String) {
        self.key = key
        associatedData = header.bytes + Data(storageKey.utf8)
    }

    /// Seals the next segment: its ciphertext followed by the tag.
    mutating func seal(_ plaintext: some DataProtocol, final: Bool) throws -> Data {
        let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce(final: final), authenticating: associatedData)
        counter += 1
        return box.ciphertext + box.tag
    }

    /// Opens the next segment; throws if it is not the segment sealed at this position with
    /// this finality.
    mutating func open(_ segment: Data, final: Bool) throws -> Data {
        guard segment.count >= Self.tagSize else {
            throw MissiveError(.unavailable, "A stored document is cut short (segment \(counter + 1) incomplete).")
        }
        do {
            let split = segment.index(segment.endIndex, offsetBy: -Self.tagSize)
            let box = try AES.GCM.SealedBox(nonce: nonce(final: final), ciphertext: segment[..<split], tag: segment[split...])
            let plaintext = try AES.GCM.open(box, using: key, authenticating: associatedData)
            counter += 1
            return plaintext
        } catch {
            throw MissiveError(.unavailable, "A stored document failed its integrity check at segment \(counter + 1) (altered, reordered or cut short).")
        }
    }

    private func nonce(final: Bool) throws -> AES.GCM.Nonce {
        var bytes = withUnsafeBytes(of: counter.bigEndian, Array.init)
        bytes += [0, 0, 0, final ? 1 : 0]
        return try AES.GCM.Nonce(data: bytes)
    }
}
