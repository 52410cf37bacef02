import Crypto
import Foundation
import MissiveCore
@testable import MissiveStore
import Testing

/// The sealed blob format: sizes around segment boundaries round-trip, whole and streamed;
/// any change to the file, another key or another blob's wrap fails with a clear error;
/// legacy plaintext blobs still read; wraps for a mailbox open without the processing key.
@Suite("encryption at rest")
struct EncryptionAtRestTests {
    static let segment = 64
    let processingKey = ProcessingKey.ephemeral()

    func withBlobs(segmentSize: Int = Self.segment, _ body: (FileBlobStore, URL) async throws -> Void) async throws {
        let root = try StoreFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try await body(try FileBlobStore(root: root, processingKey: processingKey, segmentSize: segmentSize), root)
    }

    /// Stores `bytes`, written in chunks of `chunk` bytes.
    func store(_ bytes: [UInt8], in blobs: FileBlobStore, chunk: Int = 7) async throws -> StoredBlob {
        let writer = try blobs.makeWriter(limit: 1 << 24)
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            try await writer.write(Array(bytes[start..<min(start + chunk, bytes.count)]))
        }
        return try await writer.finish { _, _ in }
    }

    func streamed(_ storageKey: String, from blobs: FileBlobStore) async throws -> [Data] {
        var chunks: [Data] = []
        try await blobs.read(storageKey) { chunks.append($0) }
        return chunks
    }

    static func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    }

    /// Expects `unavailable` with a reason containing `text`.
    func expectRefusal(_ text: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected a refusal mentioning \"\(text)\"", sourceLocation: sourceLocation)
        } catch let error as MissiveError {
            #expect(error.code == .unavailable, sourceLocation: sourceLocation)
            #expect(error.reason.contains(text), "\(error.reason)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a MissiveError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("sizes around segment boundaries round-trip, whole and streamed, in the expected layout",
          arguments: [0, 1, segment - 1, segment, segment + 1, 2 * segment, 3 * segment + 5, 1000])
    func roundTrip(size: Int) async throws {
        try await withBlobs { blobs, _ in
            let bytes = Self.bytes(size)
            for chunk in [1, 7, 64, 4096] {
                let blob = try await store(bytes, in: blobs, chunk: chunk)
                #expect(blob.sha256 == SHA256.hash(data: bytes).hex)
                #expect(try await blobs.read(blob.storageKey) == Data(bytes))
                let chunks = try await streamed(blob.storageKey, from: blobs)
                #expect(chunks.reduce(Data(), +) == Data(bytes))
                #expect(chunks.allSatisfy { $0.count <= Self.segment })
                // One final segment at least; a size that fills its segments exactly has no empty one after.
                let segments = max(1, (size + Self.segment - 1) / Self.segment)
                #expect(chunks.count == segments)
                let file = try Data(contentsOf: blobs.url(for: blob.storageKey))
                #expect(file.count == SealedBlobHeader.size + size + segments * SegmentCipher.tagSize)
            }
        }
    }

    @Test("the default 64 KiB segments: empty, exactly one segment, one byte more")
    func defaultSegments() async throws {
        try await withBlobs(segmentSize: SealedBlobHeader.defaultSegmentSize) { blobs, _ in
            for size in [0, 65_536, 65_537, 3 * 65_536] {
                let bytes = Self.bytes(size)
                let blob = try await store(bytes, in: blobs, chunk: 10_000)
                #expect(try await blobs.read(blob.storageKey) == Data(bytes))
                let header = try SealedBlobHeader(parsing: try Data(contentsOf: blobs.url(for: blob.storageKey)).prefix(SealedBlobHeader.size))
                #expect(header.segmentSize == 65_536)
                #expect(header.keyID == processingKey.id)
            }
        }
    }

    @Test("a flipped bit in any segment or in the header fails the read, and says where", arguments: [0, 1, 2, 3])
    func flippedBit(segmentIndex: Int) async throws {
        try await withBlobs { blobs, _ in
            let bytes = Self.bytes(3 * Self.segment + 10)
            let blob = try await store(bytes, in: blobs)
            let url = blobs.url(for: blob.storageKey)
            var file = try Data(contentsOf: url)
            let offset = SealedBlobHeader.size + segmentIndex * (Self.segment + SegmentCipher.tagSize) + 3
            file[offset] ^= 0x10
            try file.write(to: url)
            await expectRefusal("integrity check at segment \(segmentIndex + 1)") { _ = try await blobs.read(blob.storageKey) }
            // Streaming hands out the segments before the damaged one, then fails.
            var delivered = 0
            await expectRefusal("segment \(segmentIndex + 1)") { try await blobs.read(blob.storageKey) { delivered += $0.count } }
            #expect(delivered == segmentIndex * Self.segment)
        }
        try await withBlobs { blobs, _ in
            let blob = try await store(Self.bytes(100), in: blobs)
            let url = blobs.url(for: blob.storageKey)
            var file = try Data(contentsOf: url)
            file[9] ^= 0x01 // the segment size field: authenticated as part of every segment
            try file.write(to: url)
            await #expect(throws: MissiveError.self) { _ = try await blobs.read(blob.storageKey) }
        }
    }

    @Test("a file cut short, at a segment boundary or inside one, or extended fails the read")
    func truncatedOrExtended() async throws {
        try await withBlobs { blobs, _ in
            let bytes = Self.bytes(3 * Self.segment + 10)
            let blob = try await store(bytes, in: blobs)
            let url = blobs.url(for: blob.storageKey)
            let original = try Data(contentsOf: url)
            let segment = Self.segment + SegmentCipher.tagSize
            let cuts: [(Int, String)] = [
                (SealedBlobHeader.size + 3 * segment, "integrity check at segment 3"), // the last segment dropped
                (SealedBlobHeader.size + 2 * segment, "integrity check at segment 2"),
                (original.count - 1, "integrity check at segment 4"),
                (SealedBlobHeader.size + 3 * segment + 5, "cut short"),
                (SealedBlobHeader.size, "cut short"),
                (40, "cut short"),
            ]
            for (length, reason) in cuts {
                try original.prefix(length).write(to: url)
                await expectRefusal(reason) { _ = try await blobs.read(blob.storageKey) }
            }
            // A whole extra segment after the final one.
            try (original + original.subdata(in: SealedBlobHeader.size..<(SealedBlobHeader.size + segment))).write(to: url)
            await #expect(throws: MissiveError.self) { _ = try await blobs.read(blob.storageKey) }
            try original.write(to: url)
            #expect(try await blobs.read(blob.storageKey) == Data(bytes))
        }
    }

    @Test("swapped segments fail the read")
    func swappedSegments() async throws {
        try await withBlobs { blobs, _ in
            let blob = try await store(Self.bytes(3 * Self.segment + 10), in: blobs)
            let url = blobs.url(for: blob.storageKey)
            let file = try Data(contentsOf: url)
            let segment = Self.segment + SegmentCipher.tagSize
            let header = file.prefix(SealedBlobHeader.size)
            let first = file.subdata(in: SealedBlobHeader.size..<(SealedBlobHeader.size + segment))
            let second = file.subdata(in: (SealedBlobHeader.size + segment)..<(SealedBlobHeader.size + 2 * segment))
            let rest = file.subdata(in: (SealedBlobHeader.size + 2 * segment)..<file.count)
            try (header + second + first + rest).write(to: url)
            await expectRefusal("integrity check at segment 1") { _ = try await blobs.read(blob.storageKey) }
        }
    }

    @Test("another blob's file under this key fails: segments and wraps are bound to their storage key")
    func swappedFiles() async throws {
        try await withBlobs { blobs, _ in
            let a = try await store(Self.bytes(100), in: blobs)
            let b = try await store(Self.bytes(100), in: blobs)
            try FileManager.default.removeItem(at: blobs.url(for: b.storageKey))
            try FileManager.default.copyItem(at: blobs.url(for: a.storageKey), to: blobs.url(for: b.storageKey))
            await expectRefusal("does not open") { _ = try await blobs.read(b.storageKey) }
        }
    }

    @Test("another processing key cannot read; the header names the key it needs")
    func wrongProcessingKey() async throws {
        try await withBlobs { blobs, root in
            let blob = try await store(Self.bytes(100), in: blobs)
            let stranger = try FileBlobStore(root: root, processingKey: .ephemeral())
            await expectRefusal("another processing key") { _ = try await stranger.read(blob.storageKey) }
            // Even with the key id forged to match, the wrap does not open.
            let url = blobs.url(for: blob.storageKey)
            var file = try Data(contentsOf: url)
            file.replaceSubrange(11..<19, with: stranger.processingKey.id)
            try file.write(to: url)
            await expectRefusal("does not open") { _ = try await stranger.read(blob.storageKey) }
        }
    }

    @Test("a legacy plaintext blob (content-addressed, no header) still reads, whole and streamed")
    func legacyPlaintext() async throws {
        try await withBlobs { blobs, _ in
            let bytes = Array("%PDF-1.4 stored before encryption at rest".utf8) + Self.bytes(200_000)
            let address = SHA256.hash(data: bytes).hex
            let url = blobs.url(for: address)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
            #expect(try await blobs.read(address) == Data(bytes))
            #expect(try await streamed(address, from: blobs).reduce(Data(), +) == Data(bytes))
            // It has no document key to wrap for a mailbox.
            #expect(try await blobs.wrapKey(of: address, for: Curve25519.KeyAgreement.PrivateKey().publicKey) == nil)
            // Altered, it no longer matches its content address.
            var altered = bytes
            altered[5] ^= 1
            try Data(altered).write(to: url)
            await expectRefusal("content address") { _ = try await blobs.read(address) }
            // Plaintext under a new-style key is not accepted as legacy.
            let key = FileBlobStore.newStorageKey()
            let other = blobs.url(for: key)
            try FileManager.default.createDirectory(at: other.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: other)
            await expectRefusal("not in a known format") { _ = try await blobs.read(key) }
        }
    }

    @Test("a wrap for a mailbox opens with the mailbox's key alone, and with no other")
    func mailboxWrap() async throws {
        try await withBlobs { blobs, root in
            let bytes = Self.bytes(500)
            let blob = try await store(bytes, in: blobs)
            let other = try await store(Self.bytes(500), in: blobs)
            let mailbox = Curve25519.KeyAgreement.PrivateKey()
            let wrapped = try #require(try await blobs.wrapKey(of: blob.storageKey, for: mailbox.publicKey))
            #expect(wrapped.count == DocumentKeyWrap.size)
            // A store that does not hold the processing key opens it with the mailbox key.
            let withoutProcessingKey = try FileBlobStore(root: root, processingKey: .ephemeral())
            #expect(try await withoutProcessingKey.read(blob.storageKey, wrappedKey: wrapped, recipientKey: mailbox) == Data(bytes))
            await expectRefusal("does not open") {
                _ = try await blobs.read(blob.storageKey, wrappedKey: wrapped, recipientKey: Curve25519.KeyAgreement.PrivateKey())
            }
            await expectRefusal("does not open") { _ = try await blobs.read(other.storageKey, wrappedKey: wrapped, recipientKey: mailbox) }
            await expectRefusal("unknown format") { _ = try await blobs.read(blob.storageKey, wrappedKey: wrapped.dropLast(), recipientKey: mailbox) }
            // Two wraps of one document differ (fresh HPKE encapsulation each time) and both open it.
            let again = try #require(try await blobs.wrapKey(of: blob.storageKey, for: mailbox.publicKey))
            #expect(again != wrapped)
            #expect(try await blobs.read(blob.storageKey, wrappedKey: again, recipientKey: mailbox) == Data(bytes))
        }
    }

    @Test("the processing key file is created once, owner-only, and read back with the same id")
    func processingKeyFile() throws {
        let folder = try StoreFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = ProcessingKeyFile.defaultPath(dataDirectory: folder.path)
        #expect(path.hasSuffix("/keys/processing.key"))
        let first = try ProcessingKeyFile.load(at: path)
        let second = try ProcessingKeyFile.load(at: path)
        #expect(first.id == second.id && first.id.count == 8)
        #expect(first.publicKey.rawRepresentation == second.publicKey.rawRepresentation)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("keys").path) == ["processing.key"])
        try Data("not a key".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: MissiveError.self) { _ = try ProcessingKeyFile.load(at: path) }
    }
}
