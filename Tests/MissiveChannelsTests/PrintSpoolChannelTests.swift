import Foundation
@testable import MissiveChannels
import MissiveCore
import Synchronization
import Testing

@Suite("print spool channel")
struct PrintSpoolChannelTests {
    let root: URL
    let spool: PrintSpool

    init() throws {
        root = try Fixture.temporaryFolder()
        spool = PrintSpool(root: root)
    }

    func decodeManifest(_ job: String) throws -> PrintManifest {
        let data = try Data(contentsOf: spool.outbox.appending(path: "\(job).json"))
        return try ChannelJSON.decoder().decode(PrintManifest.self, from: data)
    }

    @Test("writes the documents, then the manifest, atomically into the outbox")
    func writesJob() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        // Records, at each document read, whether the manifest already existed.
        let manifestSeenEarly = Mutex(false)
        let outbox = spool.outbox
        let blobs = InMemoryBlobStore(onRead: { _ in
            let present = (Fixture.names(in: outbox)).contains { $0.hasSuffix(".json") }
            manifestSeenEarly.withLock { $0 = $0 || present }
        })
        let main = blobs.put("%PDF main letter", key: "main", pages: 2)
        let first = blobs.put("%PDF terms", key: "terms", role: .attachment, pages: 1)
        let second = blobs.put("%PDF form", key: "form", role: .attachment, pages: nil)
        let print = PrintOptions(mailClass: .aPlus, color: true, duplex: false, addressPlacement: .right)
        let envelope = Fixture.envelope(recipient: Recipient(postal: Fixture.address), documents: [main, first, second], print: print)
        let job = envelope.id.rawValue

        let outcome = try await PrintSpoolChannel(spool: spool, blobs: blobs).deliver(envelope, entry: nil)

        #expect(outcome == .handedOver(detail: ["printJob": job]))
        #expect(Fixture.names(in: spool.outbox) == ["\(job).att1.pdf", "\(job).att2.pdf", "\(job).json", "\(job).pdf"])
        #expect(try String(contentsOf: spool.outbox.appending(path: "\(job).pdf"), encoding: .utf8) == "%PDF main letter")
        #expect(try String(contentsOf: spool.outbox.appending(path: "\(job).att2.pdf"), encoding: .utf8) == "%PDF form")
        #expect(manifestSeenEarly.withLock { $0 } == false)

        let manifest = try decodeManifest(job)
        #expect(manifest.jobId == job && manifest.envelopeId == envelope.id && manifest.organisationId == Fixture.organisation)
        #expect(manifest.mailClass == .aPlus && manifest.color && !manifest.duplex && manifest.addressPlacement == .right)
        #expect(manifest.address == Fixture.address)
        #expect(abs(manifest.createdAt.timeIntervalSince(envelope.createdAt)) < 0.001)
        #expect(manifest.documents == [
            PrintManifest.Document(file: "\(job).pdf", sha256: main.sha256, pages: 2),
            PrintManifest.Document(file: "\(job).att1.pdf", sha256: first.sha256, pages: 1),
            PrintManifest.Document(file: "\(job).att2.pdf", sha256: second.sha256, pages: nil),
        ])
        let raw = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: spool.outbox.appending(path: "\(job).json"))) as? [String: Any])
        #expect(raw["mailClass"] as? String == "A_PLUS")
        #expect((raw["address"] as? [String: Any])?["addressLine2"] as? String == "c/o Beispiel AG")
        #expect((raw["createdAt"] as? String)?.hasSuffix("Z") == true)
    }

    @Test("a re-dispatch rewrites identical files")
    func idempotent() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let blobs = InMemoryBlobStore()
        let envelope = Fixture.envelope(recipient: Recipient(postal: Fixture.address), documents: [blobs.put("%PDF", key: "m")])
        let channel = PrintSpoolChannel(spool: spool, blobs: blobs)
        _ = try await channel.deliver(envelope, entry: nil)
        let manifest = try Data(contentsOf: spool.outbox.appending(path: "\(envelope.id).json"))
        _ = try await channel.deliver(envelope, entry: nil)
        #expect(try Data(contentsOf: spool.outbox.appending(path: "\(envelope.id).json")) == manifest)
        #expect(Fixture.names(in: spool.outbox) == ["\(envelope.id).json", "\(envelope.id).pdf"])
    }

    @Test("a job the partner already collected is not spooled again")
    func alreadyCollected() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let blobs = InMemoryBlobStore()
        let envelope = Fixture.envelope(recipient: Recipient(postal: Fixture.address), documents: [blobs.put("%PDF", key: "m")])
        try spool.prepare()
        try Data("{}".utf8).write(to: spool.collected.appending(path: "\(envelope.id).json"))
        let outcome = try await PrintSpoolChannel(spool: spool, blobs: blobs).deliver(envelope, entry: nil)
        #expect(outcome == .handedOver(detail: ["printJob": envelope.id.rawValue]))
        #expect(Fixture.names(in: spool.outbox).isEmpty)
    }

    @Test("uses the directory's address, and refuses when there is none")
    func addressSources() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let blobs = InMemoryBlobStore()
        let envelope = Fixture.envelope(recipient: Recipient(eBillID: "41010560425610173"), documents: [blobs.put("%PDF", key: "m")])
        let channel = PrintSpoolChannel(spool: spool, blobs: blobs)
        let refused = try await channel.deliver(envelope, entry: DirectoryEntry(kind: .private, postal: nil))
        #expect(refused == .refused(Reason(code: "no_postal_address", text: "No postal address is known for the recipient.")))
        #expect(Fixture.names(in: spool.outbox).isEmpty)

        _ = try await channel.deliver(envelope, entry: DirectoryEntry(kind: .private, postal: Fixture.returnedAddress))
        #expect(try decodeManifest(envelope.id.rawValue).address == Fixture.returnedAddress)
    }

    @Test("a failed document read throws and leaves no manifest nor temporary file")
    func readFailure() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let blobs = InMemoryBlobStore()
        let main = blobs.put("%PDF", key: "m")
        let attachment = blobs.put("%PDF att", key: "a", role: .attachment)
        blobs.failReads(of: "a")
        let envelope = Fixture.envelope(recipient: Recipient(postal: Fixture.address), documents: [main, attachment])
        await #expect(throws: MissiveError.self) {
            try await PrintSpoolChannel(spool: spool, blobs: blobs).deliver(envelope, entry: nil)
        }
        #expect(Fixture.names(in: spool.outbox) == ["\(envelope.id).pdf"])
    }
}
