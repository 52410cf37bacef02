import Crypto
import Foundation
import MissiveCore
import MissiveEvidence
@testable import MissiveServer
import Testing

@Suite("Evidence verification")
struct SealEvidenceVerifierTests {
    static let document = Data("%PDF-1.7\nMissive registered letter\n%%EOF\n".utf8)

    /// A sealed acceptance record over `document`, with the seal over the document itself.
    static func sealed(_ keys: EvidenceKeys) async throws -> (record: Data, seal: Data, documentSeal: Data) {
        let record = EvidenceRecord(
            event: .submissionAcceptance, envelopeId: .generate(), eventId: .generate(), eventTime: Date(), issuer: "missive.test",
            sender: .init(id: "org_x", name: "Bank"), recipient: .init(address: "epost:anna@epost.test"), channel: nil,
            documents: [.init(role: "main", sha256: SHA256.hash(data: document).map { String(format: "%02x", $0) }.joined(), byteSize: Int64(document.count))],
            reason: nil
        )
        let sealer = CAdESEvidenceSealer(sealer: CAdESSeal(keys: keys), stamper: TimeStampAuthority(keys: keys))
        let canonical = record.canonicalJSON
        return (canonical, try await sealer.seal(canonical, at: Date()), try await sealer.seal(sha256: Array(SHA256.hash(data: document)), at: Date()))
    }

    @Test("a sealed record and its document pass every check and name event, seal and time")
    func valid() async throws {
        let keys = try EvidenceKeys.generate()
        let (record, seal, _) = try await Self.sealed(keys)
        let report = await SealEvidenceVerifier(trustAnchor: keys.root).verify(record: record, seal: seal, documentSHA256: Array(SHA256.hash(data: Self.document)))
        #expect(report.isValid, "\(report.checks)")
        #expect(report.checks.map(\.name) == [.record, .seal, .certificate, .timestamp, .document])
        #expect(report.record?.event == .submissionAcceptance)
        #expect(report.sealedBy?.contains("Seal") == true || report.sealedBy != nil)
        #expect(report.timeStampTime != nil)
    }

    @Test("a record changed by one byte fails the seal check and says it was changed after sealing")
    func tamperedRecord() async throws {
        let keys = try EvidenceKeys.generate()
        let (record, seal, _) = try await Self.sealed(keys)
        var tampered = record
        let index = tampered.firstIndex(of: UInt8(ascii: "B"))!  // "Bank" → "Cank"
        tampered[index] = UInt8(ascii: "C")
        let report = await SealEvidenceVerifier(trustAnchor: keys.root).verify(record: tampered, seal: seal, documentSHA256: nil)
        #expect(!report.isValid)
        let check = try #require(report.checks.first { $0.name == .seal })
        #expect(!check.passed)
        #expect(check.detail.contains("changed after sealing"))
    }

    @Test("a different document is not among the record's documents")
    func otherDocument() async throws {
        let keys = try EvidenceKeys.generate()
        let (record, seal, documentSeal) = try await Self.sealed(keys)
        var other = Self.document
        other[3] ^= 1
        let verifier = SealEvidenceVerifier(trustAnchor: keys.root)
        let report = await verifier.verify(record: record, seal: seal, documentSHA256: Array(SHA256.hash(data: other)))
        #expect(!report.isValid)
        #expect(report.checks.last?.name == .document)
        #expect(report.checks.last?.passed == false)
        #expect(report.checks.last?.detail.contains("not among the documents") == true)
        // The document's own seal: good for the original, bad for the altered copy.
        #expect(await verifier.verify(record: nil, seal: documentSeal, documentSHA256: Array(SHA256.hash(data: Self.document))).isValid)
        let altered = await verifier.verify(record: nil, seal: documentSeal, documentSHA256: Array(SHA256.hash(data: other)))
        #expect(!altered.isValid)
        #expect(altered.checks.first?.detail.contains("document was changed") == true)
    }

    @Test("another operator's seal does not chain to this trust anchor; garbage is not a seal")
    func foreignAndMalformed() async throws {
        let (record, seal, _) = try await Self.sealed(try EvidenceKeys.generate())
        let verifier = SealEvidenceVerifier(trustAnchor: try EvidenceKeys.generate().root)
        let foreign = await verifier.verify(record: record, seal: seal, documentSHA256: nil)
        #expect(!foreign.isValid)
        #expect(foreign.checks.first { $0.name == .certificate }?.passed == false)
        let garbage = await verifier.verify(record: record, seal: Data("not a seal".utf8), documentSHA256: nil)
        #expect(!garbage.isValid)
        #expect(garbage.checks.first { $0.name == .seal }?.detail.contains("not a detached DER CMS") == true)
        let nothing = await verifier.verify(record: nil, seal: seal, documentSHA256: nil)
        #expect(!nothing.isValid)
    }
}
