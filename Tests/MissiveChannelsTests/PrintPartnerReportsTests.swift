import Foundation
@testable import MissiveChannels
import MissiveCore
import Testing

@Suite("print partner reports")
struct PrintPartnerReportsTests {
    let root: URL
    let spool: PrintSpool
    let sink = RecordingReportSink()
    let envelope = EnvelopeID.generate()

    init() throws {
        root = try Fixture.temporaryFolder()
        spool = PrintSpool(root: root)
        try spool.prepare()
    }

    func drop(_ name: String, _ json: String) throws {
        try Data(json.utf8).write(to: spool.status.appending(path: name))
    }

    func report(_ status: String, at: String = "2026-01-05T10:00:00Z", extra: String = "") -> String {
        #"{"envelopeId":"\#(envelope)","status":"\#(status)","at":"\#(at)"\#(extra)}"#
    }

    @Test("records reports in file-name order and moves them to processed/")
    func recordsInOrder() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try drop("002-posted.json", report("posted", at: "2026-01-05T11:00:00.250+01:00", extra: #","detail":{"trackingId":"99.00.123"}"#))
        try drop("001-printed.json", report("printed"))
        try drop("003-returned.json", report("returned", extra: #","reason":{"code":"addressee_unknown","text":"Unknown."}"#))
        try drop(".004-partial.json", "{")
        try drop("005-note.txt", "ignored")

        let recorded = await PrintPartnerReports(spool: spool, sink: sink).poll()

        #expect(recorded == 3)
        let reports = sink.reports
        #expect(reports.map(\.type) == [.printed, .posted, .returned])
        #expect(reports.allSatisfy { $0.envelope == envelope && $0.channel == .physical })
        #expect(reports[0].detail == ["reportedAt": "2026-01-05T10:00:00.000Z"])
        #expect(reports[1].detail == ["trackingId": "99.00.123", "reportedAt": "2026-01-05T10:00:00.250Z"])
        #expect(reports[2].reason == Reason(code: "addressee_unknown", text: "Unknown."))
        #expect(Fixture.names(in: spool.processedReports) == ["001-printed.json", "002-posted.json", "003-returned.json"])
        #expect(Fixture.names(in: spool.status) == [".004-partial.json", "005-note.txt", "processed", "rejected"])
    }

    @Test("a malformed report goes to rejected/ and does not stop the others")
    func malformed() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try drop("001-garbage.json", "{ not json")
        try drop("002-bad-status.json", report("delivered"))
        try drop("003-bad-time.json", report("printed", at: "yesterday"))
        try drop("004-bad-id.json", #"{"envelopeId":"env_nope","status":"printed","at":"2026-01-05T10:00:00Z"}"#)
        try drop("005-printed.json", report("printed"))

        let recorded = await PrintPartnerReports(spool: spool, sink: sink).poll()

        #expect(recorded == 1)
        #expect(sink.reports.map(\.type) == [.printed])
        #expect(Fixture.names(in: spool.rejectedReports) == ["001-garbage.json", "002-bad-status.json", "003-bad-time.json", "004-bad-id.json"])
        #expect(Fixture.names(in: spool.processedReports) == ["005-printed.json"])
    }

    @Test("a report for an unknown envelope goes to rejected/")
    func unknownEnvelope() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        sink.forget(envelope)
        try drop("001-printed.json", report("printed"))
        #expect(await PrintPartnerReports(spool: spool, sink: sink).poll() == 0)
        #expect(Fixture.names(in: spool.rejectedReports) == ["001-printed.json"])
        #expect(sink.reports.isEmpty)
    }

    @Test("a failing store leaves the report, and the later ones, for the next poll")
    func transientFailure() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try drop("001-printed.json", report("printed"))
        try drop("002-posted.json", report("posted"))
        let reports = PrintPartnerReports(spool: spool, sink: sink)
        sink.failNext(1)

        #expect(await reports.poll() == 0)
        #expect(sink.reports.isEmpty)
        #expect(Fixture.names(in: spool.status).filter { $0.hasSuffix(".json") } == ["001-printed.json", "002-posted.json"])

        #expect(await reports.poll() == 2)
        #expect(sink.reports.map(\.type) == [.printed, .posted])
        #expect(Fixture.names(in: spool.processedReports) == ["001-printed.json", "002-posted.json"])
    }
}
