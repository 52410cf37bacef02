import MissiveChannels
import MissiveCore
import Testing

@Suite("clamd answers and addresses")
struct ClamdScannerTests {
    @Test("OK is clean, FOUND names the signature, anything else is not a verdict")
    func verdicts() throws {
        #expect(try ClamdScanner.verdict("stream: OK\0") == .clean)
        #expect(try ClamdScanner.verdict("stream: Win.Test.EICAR_HDB-1 FOUND\0") == .infected(signature: "Win.Test.EICAR_HDB-1"))
        #expect(throws: MissiveError.self) { try ClamdScanner.verdict("INSTREAM size limit exceeded. ERROR\0") }
        #expect(throws: MissiveError.self) { try ClamdScanner.verdict("") }
    }

    @Test("addresses: tcp:HOST:PORT, unix:/path; anything else is refused")
    func addresses() {
        #expect(ClamdScanner.Address("tcp:127.0.0.1:3310") == .tcp(host: "127.0.0.1", port: 3310))
        #expect(ClamdScanner.Address("tcp:[::1]:3310") == .tcp(host: "::1", port: 3310))
        #expect(ClamdScanner.Address("unix:/run/clamav/clamd.ctl") == .unix(path: "/run/clamav/clamd.ctl"))
        #expect(ClamdScanner.Address("unix:relative") == nil)
        #expect(ClamdScanner.Address("tcp:host") == nil)
        #expect(ClamdScanner.Address("clamd") == nil)
    }
}
