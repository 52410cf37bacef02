import Foundation
@testable import MissiveEvidence
import Testing

/// Hand-built DER requests, checked byte-for-byte against the expected `PKIStatusInfo`.
@Suite("TimeStampReq edge cases without openssl")
struct TimeStampRequestTests {
    static let keys = Result { try EvidenceKeys.generate() }

    /// A `TimeStampReq` with a SHA-256 imprint of 32 × 0x11 and an optional raw trailer.
    private func request(version: UInt8 = 1, nullParameters: Bool = false, trailer: [UInt8] = []) -> [UInt8] {
        let oid: [UInt8] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]
        let algorithm = oid + (nullParameters ? [0x05, 0x00] : [])
        let algorithmID = [0x30, UInt8(algorithm.count)] + algorithm
        let imprintBody = algorithmID + [0x04, 0x20] + [UInt8](repeating: 0x11, count: 32)
        let body = [0x02, 0x01, version] + [0x30, UInt8(imprintBody.count)] + imprintBody + trailer
        return [0x30, UInt8(body.count)] + body
    }

    private func respond(_ bytes: [UInt8]) throws -> [UInt8] {
        TimeStampAuthority(keys: try Self.keys.get()).respond(to: bytes, at: Date())
    }

    @Test func grantedWithAbsentOrNullParameters() throws {
        for null in [false, true] {
            let response = try respond(request(nullParameters: null))
            #expect(response.count > 200)
            #expect(Array(response[4..<9]) == [0x30, 0x03, 0x02, 0x01, 0x00])
        }
    }

    @Test func wrongVersionIsBadRequest() throws {
        let expected: [UInt8] = [0x30, 0x09, 0x30, 0x07, 0x02, 0x01, 0x02, 0x03, 0x02, 0x05, 0x20]
        #expect(try respond(request(version: 2)) == expected)
    }

    @Test func extensionsAreUnaccepted() throws {
        let expected: [UInt8] = [0x30, 0x0B, 0x30, 0x09, 0x02, 0x01, 0x02, 0x03, 0x04, 0x07, 0x00, 0x00, 0x80]
        #expect(try respond(request(trailer: [0xA0, 0x00])) == expected)
    }

    @Test func nonceAndCertReqAreParsed() throws {
        let parsed = try TimeStampRequest(derEncoded: request(trailer: [0x02, 0x02, 0x01, 0x02, 0x01, 0x01, 0xFF]))
        #expect(Array(parsed.nonce ?? []) == [0x01, 0x02])
        #expect(parsed.certificateRequested)
        #expect(parsed.policy == nil)
    }

    @Test func emptyAndTrailingGarbageAreBadDataFormat() throws {
        let badDataFormat: [UInt8] = [0x30, 0x09, 0x30, 0x07, 0x02, 0x01, 0x02, 0x03, 0x02, 0x02, 0x04]
        #expect(try respond([]) == badDataFormat)
        #expect(try respond(request() + [0x00]) == badDataFormat)
        #expect(try respond(request(trailer: [0x05, 0x00])) == badDataFormat)
    }

    @Test func failureBitStringsMatchTheConstantSystemFailureResponse() throws {
        let built = try TimeStampStatus.rejection(.systemFailure).response(token: nil)
        #expect(built == TimeStampStatus.systemFailureResponse)
    }
}
