import Foundation
@testable import MissiveChannels
import MissiveCore
import Testing

@Suite("print channel, sandbox partner and reports, end to end")
struct PrintPipelineTests {
    let root: URL
    let spool: PrintSpool
    let blobs = InMemoryBlobStore()

    init() throws {
        root = try Fixture.temporaryFolder()
        spool = PrintSpool(root: root)
    }

    func spoolJob(to address: PostalAddress) async throws -> Envelope {
        let documents = [blobs.put("%PDF letter", key: "main"), blobs.put("%PDF annex", key: "annex", role: .attachment)]
        let envelope = Fixture.envelope(recipient: Recipient(postal: address), documents: documents)
        _ = try await PrintSpoolChannel(spool: spool, blobs: blobs).deliver(envelope, entry: nil)
        return envelope
    }

    @Test("the sandbox partner collects a job and reports printed then posted, in sortable files")
    func partnerReports() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let clock = OffsetWallClock()
        let envelope = try await spoolJob(to: Fixture.address)
        let partner = SandboxPrintPartner(spool: spool, clock: clock)

        #expect(partner.poll() == 1)

        let job = envelope.id.rawValue
        #expect(Fixture.names(in: spool.outbox).isEmpty)
        // The partner took the documents away; only the manifest stays as the record.
        #expect(Fixture.names(in: spool.collected) == ["\(job).json"])
        let statusFiles = Fixture.names(in: spool.status).filter { $0.hasSuffix(".json") }
        #expect(statusFiles.count == 2)
        #expect(statusFiles[0].hasSuffix("-\(job)-printed.json") && statusFiles[1].hasSuffix("-\(job)-posted.json"))
        #expect(statusFiles.allSatisfy { $0.prefix(while: \.isNumber).count == 20 })
        let posted = try ChannelJSON.decoder().decode(PartnerStatusReport.self, from: Data(contentsOf: spool.status.appending(path: statusFiles[1])))
        #expect(posted.envelopeId == envelope.id && posted.status == .posted && posted.reason == nil)
        #expect(abs(posted.at.timeIntervalSince(clock.now())) < 5)
        #expect(partner.poll() == 0)
    }

    @Test("a letter to Nirgendweg comes back returned with addressee_unknown")
    func returnedLetter() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let envelope = try await spoolJob(to: Fixture.returnedAddress)
        let sink = RecordingReportSink()

        #expect(SandboxPrintPartner(spool: spool).poll() == 1)
        #expect(await PrintPartnerReports(spool: spool, sink: sink).poll() == 3)

        #expect(sink.reports.map(\.type) == [.printed, .posted, .returned])
        #expect(sink.reports.allSatisfy { $0.envelope == envelope.id && $0.detail["printJob"] == envelope.id.rawValue })
        #expect(sink.reports.last?.reason == Reason(code: "addressee_unknown", text: "Addressee unknown at this address"))
    }

    @Test("an unreadable manifest is set aside, not reported")
    func unreadableManifest() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try spool.prepare()
        try Data(#"{"jobId":"x","documents":[{"file":"../../etc/passwd","sha256":"0"}]}"#.utf8).write(to: spool.outbox.appending(path: "bad.json"))
        #expect(SandboxPrintPartner(spool: spool).poll() == 0)
        #expect(Fixture.names(in: spool.collected.appending(path: "rejected")) == ["bad.json"])
        #expect(Fixture.names(in: spool.status).filter { $0.hasSuffix(".json") }.isEmpty)
    }

    @Test("running as services, jobs flow from channel to recorded reports and stop on shutdown")
    func services() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let sink = RecordingReportSink()
        let partner = SandboxPrintPartner(spool: spool, interval: .milliseconds(20))
        let reports = PrintPartnerReports(spool: spool, sink: sink, interval: .milliseconds(20))
        // No wall-clock bound (a loaded CI machine stalls): the services' return proves they stop.
        try await withRunningServices([partner, reports]) {
            let normal = try await spoolJob(to: Fixture.address)
            let returned = try await spoolJob(to: Fixture.returnedAddress)
            let done = await Fixture.eventually(timeout: .seconds(120)) { sink.reports.count == 5 }
            #expect(done)
            #expect(sink.reports.filter { $0.envelope == normal.id }.map(\.type) == [.printed, .posted])
            #expect(sink.reports.filter { $0.envelope == returned.id }.map(\.type) == [.printed, .posted, .returned])
        }
        #expect(Fixture.names(in: spool.processedReports).count == 5)
        #expect(Fixture.names(in: spool.outbox).isEmpty)
    }
}
