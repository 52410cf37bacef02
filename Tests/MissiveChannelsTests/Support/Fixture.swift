import Foundation
import MissiveCore

/// Envelopes, addresses and folders for the channel tests.
enum Fixture {
    static let organisation = OrganisationID.generate()

    static let address = PostalAddress(name: "Erika Muster", addressLine2: "c/o Beispiel AG", street: "Bahnhofstrasse", houseNumber: "1", postcode: "8001", town: "Zürich")

    static let returnedAddress = PostalAddress(name: "Max Unbekannt", street: "Nirgendweg", houseNumber: "99", postcode: "3000", town: "Bern")

    /// An envelope with the given documents (main first) and recipient.
    static func envelope(
        kind: EnvelopeKind = .letter, recipient: Recipient, documents: [DocumentRef],
        invoice: InvoiceDetails? = nil, print: PrintOptions = PrintOptions()
    ) -> Envelope {
        let now = Date(timeIntervalSince1970: 1_760_000_000.123)
        return Envelope(
            id: .generate(at: now), organisationID: organisation, principal: "key_test", mode: .test,
            ingress: .rest, ingressReference: nil, kind: kind, title: "Invoice 42", reference: "ref-42",
            recipient: recipient, documents: documents, policy: ChannelPolicy(), print: print,
            invoice: invoice, status: .routed, createdAt: now
        )
    }

    /// A fresh temporary folder, removed by `cleanUp`.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "missive-channels-\(UUID().uuidString)", directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The names in a folder, sorted (hidden ones included); none if it does not exist.
    static func names(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path(percentEncoded: false))) ?? []).sorted()
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}
