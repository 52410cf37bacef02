import Foundation
import MissiveCore
@testable import MissiveStore
import Testing

@Suite("FileBlobStore")
struct FileBlobStoreTests {
    struct NotAPDF: Error {}

    /// One processing key for the whole suite (a store reopened on a folder keeps reading).
    static let processingKey = ProcessingKey.ephemeral()

    /// A blob store in a fresh temporary folder, removed afterwards.
    func withBlobs(segmentSize: Int = SealedBlobHeader.defaultSegmentSize, _ body: (FileBlobStore, URL) async throws -> Void) async throws {
        let root = try StoreFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try await body(try FileBlobStore(root: root, processingKey: Self.processingKey, segmentSize: segmentSize), root)
    }

    func store(_ chunks: [[UInt8]], in blobs: FileBlobStore, limit: Int64 = 1 << 20) async throws -> StoredBlob {
        let writer = try blobs.makeWriter(limit: limit)
        for chunk in chunks { try await writer.write(chunk) }
        return try await writer.finish { _, _ in }
    }

    /// Every regular file under `root`, as paths relative to it.
    static func files(under root: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        var paths: [String] = []
        while let url = enumerator?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                paths.append(String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1)))
            }
        }
        return paths.sorted()
    }

    func files(under root: URL) -> [String] { Self.files(under: root) }

    func tmpContents(_ root: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("tmp").path)
    }

    @Test("finish stores a sealed file under a new random key; the hash is the plaintext's")
    func sealedFile() async throws {
        try await withBlobs { blobs, root in
            let text = "%PDF-1.7 Missive plaintext marker"
            let blob = try await store([Array(text.utf8)], in: blobs)
            #expect(blob.sha256 == BearerSecret.hash(text))
            #expect(blob.storageKey.count == 32 && blob.storageKey.allSatisfy(\.isHexDigit) && blob.storageKey != blob.sha256)
            #expect(blob.byteSize == Int64(text.utf8.count))
            let key = blob.storageKey
            #expect(files(under: root) == ["\(key.prefix(2))/\(key.dropFirst(2).prefix(2))/\(key)"])
            let file = try Data(contentsOf: blobs.url(for: key))
            #expect(file.starts(with: Data("MSVENC".utf8) + [1]))
            #expect(file.count == SealedBlobHeader.size + text.utf8.count + SegmentCipher.tagSize)
            #expect(file.range(of: Data("plaintext marker".utf8)) == nil)
            #expect(try await blobs.read(key) == Data(text.utf8))
            #expect(try tmpContents(root).isEmpty)
        }
    }

    @Test("the SHA-256 is the standard one (FIPS 180-2 'abc')")
    func plaintextHash() async throws {
        try await withBlobs { blobs, _ in
            let blob = try await store([Array("ab".utf8), Array("c".utf8)], in: blobs)
            #expect(blob.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        }
    }

    @Test("read round-trips; a missing blob is notFound")
    func readBack() async throws {
        try await withBlobs { blobs, _ in
            let text = String(repeating: "%PDF-1.7 Missive ", count: 500)
            let bytes = Array(text.utf8)
            let blob = try await store(stride(from: 0, to: bytes.count, by: 1000).map { Array(bytes[$0..<min($0 + 1000, bytes.count)]) }, in: blobs)
            #expect(blob.sha256 == BearerSecret.hash(text))
            #expect(try await blobs.read(blob.storageKey) == Data(bytes))
            await expectMissiveError(.notFound) { _ = try await blobs.read(FileBlobStore.newStorageKey()) }
            await expectMissiveError(.notFound) { _ = try await blobs.read(BearerSecret.hash("never stored")) }
        }
    }

    @Test("the head and tail are the first and last KiB across chunks")
    func headAndTail() async throws {
        try await withBlobs { blobs, _ in
            let bytes = (0..<3000).map { UInt8($0 % 251) }
            let chunks = [Array(bytes[0..<700]), Array(bytes[700..<2500]), Array(bytes[2500...])]
            let writer = try blobs.makeWriter(limit: 3000)
            for chunk in chunks { try await writer.write(chunk) }
            let blob = try await writer.finish { head, tail in
                #expect(head == Array(bytes.prefix(1024)))
                #expect(tail == Array(bytes.suffix(1024)))
            }
            #expect(blob.head == Array(bytes.prefix(1024)))
            #expect(blob.tail == Array(bytes.suffix(1024)))
            #expect(blob.byteSize == 3000)

            let small = try await store([Array("%PDF".utf8), Array("%%EOF".utf8)], in: blobs)
            #expect(small.head == Array("%PDF%%EOF".utf8))
            #expect(small.tail == Array("%PDF%%EOF".utf8))
        }
    }

    @Test("the same content twice is two blobs with their own keys")
    func noDeduplication() async throws {
        try await withBlobs { blobs, root in
            let first = try await store([Array("same bytes".utf8)], in: blobs)
            let second = try await store([Array("same ".utf8), Array("bytes".utf8)], in: blobs)
            #expect(first.sha256 == second.sha256)
            #expect(first.storageKey != second.storageKey)
            #expect(files(under: root).count == 2)
            let sealed = try files(under: root).map { try Data(contentsOf: root.appendingPathComponent($0)) }
            #expect(sealed[0] != sealed[1])
            #expect(try await blobs.read(first.storageKey) == Data("same bytes".utf8))
            #expect(try await blobs.read(second.storageKey) == Data("same bytes".utf8))
        }
    }

    @Test("writing past the limit throws tooLarge; exactly the limit is fine")
    func limit() async throws {
        try await withBlobs { blobs, root in
            let writer = try blobs.makeWriter(limit: 10)
            try await writer.write(Array("123456".utf8))
            await expectMissiveError(.tooLarge) { try await writer.write(Array("78901".utf8)) }
            await writer.discard()
            #expect(files(under: root).isEmpty)

            let exact = try await store([Array("12345".utf8), Array("67890".utf8)], in: blobs, limit: 10)
            #expect(exact.byteSize == 10)
            #expect(try await blobs.read(exact.storageKey) == Data("1234567890".utf8))
        }
    }

    @Test("a throwing check stores nothing")
    func failingCheck() async throws {
        try await withBlobs { blobs, root in
            let writer = try blobs.makeWriter(limit: 1000)
            try await writer.write(Array("not a pdf".utf8))
            await #expect(throws: NotAPDF.self) {
                _ = try await writer.finish { _, _ in throw NotAPDF() }
            }
            #expect(files(under: root).isEmpty)
        }
    }

    /// Once `write` threw `tooLarge` the writer is failed: later writes and `finish` throw and
    /// nothing is stored.
    @Test("a writer that went past its limit stores nothing")
    func noFinishAfterTooLarge() async throws {
        try await withBlobs { blobs, root in
            let writer = try blobs.makeWriter(limit: 10)
            try await writer.write(Array("123456".utf8))
            await expectMissiveError(.tooLarge) { try await writer.write(Array("78901".utf8)) }
            await #expect(throws: MissiveError.self) { try await writer.write(Array("7".utf8)) }
            await #expect(throws: MissiveError.self) { _ = try await writer.finish { _, _ in } }
            #expect(files(under: root).isEmpty)

            let proper = try await store([Array("123456".utf8)], in: blobs)
            #expect(try await blobs.read(proper.storageKey) == Data("123456".utf8))
        }
    }

    @Test("a writer whose check failed cannot store on a second finish")
    func noFinishAfterFailedCheck() async throws {
        try await withBlobs { blobs, root in
            let writer = try blobs.makeWriter(limit: 100)
            try await writer.write(Array("abcdef".utf8))
            await #expect(throws: NotAPDF.self) { _ = try await writer.finish { _, _ in throw NotAPDF() } }
            await #expect(throws: MissiveError.self) { _ = try await writer.finish { _, _ in } }
            await #expect(throws: MissiveError.self) { try await writer.write(Array("g".utf8)) }
            #expect(files(under: root).isEmpty)
        }
    }

    @Test("a discarded writer refuses further writes and finish")
    func noFinishAfterDiscard() async throws {
        try await withBlobs { blobs, root in
            let writer = try blobs.makeWriter(limit: 100)
            try await writer.write(Array("abcdef".utf8))
            await writer.discard()
            await #expect(throws: MissiveError.self) { try await writer.write(Array("g".utf8)) }
            await #expect(throws: MissiveError.self) { _ = try await writer.finish { _, _ in } }
            #expect(files(under: root).isEmpty)
        }
    }

    @Test("finishing twice answers the same blob and stores it once")
    func finishTwice() async throws {
        try await withBlobs { blobs, root in
            let writer = try blobs.makeWriter(limit: 100)
            try await writer.write(Array("abcdef".utf8))
            let first = try await writer.finish { _, _ in }
            #expect(try await writer.finish { _, _ in } == first)
            #expect(files(under: root).count == 1)
        }
    }

    @Test("a spilled writer that went past its limit stores nothing and leaves tmp empty after discard")
    func spilledTooLarge() async throws {
        try await withBlobs { blobs, root in
            let chunk = Array(repeating: UInt8(ascii: "x"), count: FileBlobWriter.spillThreshold + 1000)
            let writer = try blobs.makeWriter(limit: Int64(chunk.count) + 10)
            try await writer.write(chunk)
            #expect(try tmpContents(root).count == 1)
            await expectMissiveError(.tooLarge) { try await writer.write(Array(repeating: UInt8(ascii: "y"), count: 11)) }
            await #expect(throws: MissiveError.self) { _ = try await writer.finish { _, _ in } }
            await writer.discard()
            #expect(files(under: root).isEmpty)
            #expect(try tmpContents(root).isEmpty)
        }
    }

    @Test("what spills to tmp while a large document arrives is ciphertext")
    func spillIsCiphertext() async throws {
        try await withBlobs { blobs, root in
            let marker = Array("MISSIVE-SPILL-MARKER ".utf8)
            let chunk = Array((0..<(FileBlobWriter.spillThreshold / marker.count + 10)).map { _ in marker }.joined())
            let writer = try blobs.makeWriter(limit: 4 << 20)
            try await writer.write(chunk)
            let spilled = try tmpContents(root)
            try #require(spilled.count == 1)
            let partial = try Data(contentsOf: root.appendingPathComponent("tmp").appendingPathComponent(spilled[0]))
            #expect(partial.count >= FileBlobWriter.spillThreshold)
            #expect(partial.range(of: Data("SPILL-MARKER".utf8)) == nil)
            try await writer.write(chunk)
            let blob = try await writer.finish { _, _ in }
            let file = try Data(contentsOf: blobs.url(for: blob.storageKey))
            #expect(file.range(of: Data("SPILL-MARKER".utf8)) == nil)
            #expect(try await blobs.read(blob.storageKey) == Data(chunk + chunk))
            #expect(try tmpContents(root).isEmpty)
        }
    }

    @Test("storage keys cannot leave the root")
    func safeKeys() async throws {
        try await withBlobs { blobs, root in
            let url = blobs.url(for: "../../etc/passwd")
            #expect(url.standardizedFileURL.path.hasPrefix(root.standardizedFileURL.path + "/"))
            await expectMissiveError(.notFound) { _ = try await blobs.read("../../etc/passwd") }
            await expectMissiveError(.notFound) { _ = try await blobs.read("") }
        }
    }

    @Test("opening the store clears partial files left in tmp")
    func clearsTmpOnOpen() async throws {
        try await withBlobs { blobs, root in
            let kept = try await store([Array("durable".utf8)], in: blobs)
            let partial = root.appendingPathComponent("tmp").appendingPathComponent(UUID().uuidString)
            try Data("half a blob".utf8).write(to: partial)
            let reopened = try FileBlobStore(root: root, processingKey: Self.processingKey)
            #expect(try tmpContents(root).isEmpty)
            #expect(try await reopened.read(kept.storageKey) == Data("durable".utf8))
        }
    }

    @Test("concurrent writers of the same content each get their own blob")
    func concurrentSameContent() async throws {
        try await withBlobs { blobs, root in
            let bytes = Array(String(repeating: "x", count: 10_000).utf8)
            let keys = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        let writer = try blobs.makeWriter(limit: 1 << 20)
                        try await writer.write(bytes)
                        return try await writer.finish { _, _ in }.storageKey
                    }
                }
                var keys: Set<String> = []
                for try await key in group { keys.insert(key) }
                return keys
            }
            #expect(keys.count == 16)
            #expect(files(under: root).count == 16)
            #expect(try tmpContents(root).isEmpty)
            for key in keys { #expect(try await blobs.read(key) == Data(bytes)) }
        }
    }

    @Test("blobs no commit took up are swept after the age given; committed ones stay, also across a reopen")
    func sweepsUncommitted() async throws {
        try await withBlobs { blobs, root in
            let kept = try await store([Array("%PDF-1.7 kept".utf8)], in: blobs)
            let orphan = try await store([Array("%PDF-1.7 orphan".utf8)], in: blobs)
            blobs.committed([kept.storageKey])
            #expect(await blobs.sweepUncommitted(olderThan: .seconds(3600)) == 0)  // too young
            #expect(await blobs.sweepUncommitted(olderThan: .zero) == 1)
            #expect(try await blobs.read(kept.storageKey) == Data("%PDF-1.7 kept".utf8))
            await #expect(throws: MissiveError.self) { try await blobs.read(orphan.storageKey) }
            #expect(files(under: root).filter { !$0.hasPrefix("tmp") }.count == 1)
            // A reopened store (a restart) knows no candidates: nothing of before is touched.
            let reopened = try FileBlobStore(root: root, processingKey: Self.processingKey)
            #expect(await reopened.sweepUncommitted(olderThan: .zero) == 0)
            #expect(try await reopened.read(kept.storageKey) == Data("%PDF-1.7 kept".utf8))
        }
    }
}
