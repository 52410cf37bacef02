import Foundation
import Logging
import MissiveCore
@testable import MissiveStore
import Testing

/// Envelopes, submissions and events for the store tests. Times are whole seconds so that
/// they survive the store's Unix-seconds columns exactly.
enum StoreFixture {
    static let base = Date(timeIntervalSince1970: 1_760_000_000)

    static let address = PostalAddress(name: "Anna Müller", street: "Bahnhofstrasse", houseNumber: "1", postcode: "8001", town: "Zürich")

    static let mainDocument = DocumentRef(
        role: .main, filename: "letter.pdf", mediaType: "application/pdf", byteSize: 1234,
        sha256: String(repeating: "ab", count: 32), pageCount: 2, storageKey: String(repeating: "ab", count: 32)
    )

    /// A fresh folder under the system's temporary directory.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("missive-store-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// One secrets key for every store of a test run, so reopened stores read their sealed keys.
    static let sealer = SecretSealer.ephemeral()

    /// Opens (and migrates) a store on the database file at `path`.
    static func openStore(path: String) throws -> SQLiteStore {
        SQLiteStore(database: try MissiveDatabase(path: path), sealer: sealer, logger: Logger(label: "missive.store.tests"))
    }

    static func envelope(
        organisation: OrganisationID, ingressReference: String? = nil, ingress: Ingress = .rest, at: Date = base,
        kind: EnvelopeKind = .letter, reference: String? = "ref-1", recipient: Recipient = Recipient(postal: address),
        invoice: InvoiceDetails? = nil
    ) -> Envelope {
        Envelope(
            id: .generate(at: at), organisationID: organisation, principal: "key_test", mode: .test, ingress: ingress,
            ingressReference: ingressReference, kind: kind, title: "Letter", reference: reference, recipient: recipient,
            documents: [mainDocument], policy: ChannelPolicy(mode: .auto, printIfNotConsultedAfterDays: 10, notBefore: at),
            print: PrintOptions(mailClass: .a, color: true, duplex: false, addressPlacement: .right), invoice: invoice, createdAt: at
        )
    }

    static func submission(
        organisation: OrganisationID, ingressReference: String? = nil, ingress: Ingress = .rest, requestHash: String = "hash-1",
        response: Data? = nil, at: Date = base, routeAt: Date? = nil, kind: EnvelopeKind = .letter, reference: String? = "ref-1"
    ) -> Submission {
        submission(
            envelope(organisation: organisation, ingressReference: ingressReference, ingress: ingress, at: at, kind: kind, reference: reference),
            requestHash: requestHash, response: response, routeAt: routeAt
        )
    }

    static func submission(_ envelope: Envelope, requestHash: String = "hash-1", response: Data? = nil, routeAt: Date? = nil) -> Submission {
        Submission(
            envelope: envelope,
            acceptedEvent: StatusEvent(envelopeID: envelope.id, organisationID: envelope.organisationID, type: .accepted, at: envelope.createdAt),
            requestHash: requestHash, ingressResponse: response, routeAt: routeAt ?? envelope.createdAt
        )
    }

    static func event(_ type: EventType, _ envelope: Envelope, channel: Channel? = nil, at: Date, reason: Reason? = nil, detail: [String: String] = [:]) -> StatusEvent {
        StatusEvent(envelopeID: envelope.id, organisationID: envelope.organisationID, type: type, at: at, channel: channel, reason: reason, detail: detail)
    }
}

/// Opens a store on a new database file in a temporary folder, runs its group committer
/// beside `body`, then stops the committer and removes the folder.
func withStore<T>(_ body: (SQLiteStore) async throws -> T) async throws -> T {
    let folder = try StoreFixture.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = try StoreFixture.openStore(path: folder.appendingPathComponent("missive.sqlite").path)
    return try await withRunning(store, body)
}

/// Runs `store`'s group committer while `body` runs, and cancels it afterwards.
func withRunning<T>(_ store: SQLiteStore, _ body: (SQLiteStore) async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await store.run() }
        defer { group.cancelAll() }
        return try await body(store)
    }
}

/// Accepts a submission that must be new, returning the stored envelope.
@discardableResult
func acceptNew(_ submission: Submission, in store: SQLiteStore, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Envelope {
    let result = try await store.accept(submission)
    guard case .accepted(let envelope) = result else {
        Issue.record("Expected a new acceptance, got \(result)", sourceLocation: sourceLocation)
        throw MissiveError(.conflict, "not accepted")
    }
    return envelope
}

/// Runs `body` and expects it to throw a ``MissiveError`` with `code`.
func expectMissiveError(_ code: MissiveError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("Expected MissiveError(\(code)), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as MissiveError {
        #expect(error.code == code, sourceLocation: sourceLocation)
    } catch {
        Issue.record("Expected MissiveError(\(code)), got \(error)", sourceLocation: sourceLocation)
    }
}
