import AsyncHTTPClient
import Foundation
import Logging
import MissiveServer

/// A running sandbox hub as a test sees it: its URL, the demo organisation's API key and
/// the test recipients, all read from `sandbox.json`.
struct TestHub: Sendable {
    /// One test recipient of `sandbox.json`.
    struct SandboxRecipient: Sendable {
        var id: String
        /// The `recipient` object to put into an envelope.
        var recipient: JSON
        var mailboxKey: String?
    }

    let hub: MissiveHub
    let baseURL: String
    let apiKey: String
    let organisationID: String
    let recipients: [String: SandboxRecipient]
    let dataDirectory: URL
    var client: HTTPClient { .shared }

    /// The sandbox recipient with this id (`digital`, `physical`, …).
    func recipient(_ id: String) throws -> SandboxRecipient {
        guard let recipient = recipients[id] else { throw TestFailure("sandbox.json has no recipient \(id)") }
        return recipient
    }
}

/// A failure with a message, thrown by helpers.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Starts a sandbox hub on a fresh temporary data folder and a free port, runs `body`
/// against it, then stops the hub and removes the folder.
func withHub(
    _ configure: (inout MissiveConfiguration) -> Void = { _ in },
    _ body: (TestHub) async throws -> Void
) async throws {
    try await withTemporaryDirectory { directory in
        try await withHub(dataDirectory: directory, configure, body)
    }
}

/// Runs `body` with a fresh temporary folder and removes the folder afterwards.
func withTemporaryDirectory(_ body: (URL) async throws -> Void) async throws {
    let directory = try makeTemporaryDirectory()
    let result: Result<Void, any Error>
    do {
        try await body(directory)
        result = .success(())
    } catch {
        result = .failure(error)
    }
    await removeTemporaryDirectory(directory)
    try result.get()
}

/// Removes a data folder. The stopped hub's database may still be closing (SQLite removes its
/// `-wal`/`-shm` files then), so a failed attempt is retried a few times.
func removeTemporaryDirectory(_ directory: URL) async {
    for _ in 0..<20 {
        do {
            try FileManager.default.removeItem(at: directory)
            return
        } catch {
            guard FileManager.default.fileExists(atPath: directory.path) else { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// Starts a sandbox hub on `dataDirectory` (which it keeps), runs `body`, then cancels the hub
/// and waits until it stopped.
func withHub(
    dataDirectory: URL,
    _ configure: (inout MissiveConfiguration) -> Void = { _ in },
    _ body: (TestHub) async throws -> Void
) async throws {
    var configuration = MissiveConfiguration()
    configuration.sandbox = true
    configuration.host = "127.0.0.1"
    configuration.httpPort = 0
    configuration.smtpPort = 0
    configuration.dataDirectory = dataDirectory.path
    configuration.webhookRetryBaseSeconds = 0.2
    configuration.rateLimit = 0
    configure(&configuration)
    let hub = try await MissiveHub(configuration: configuration, logger: testLogger())

    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            try await hub.run(signals: [])
            throw TestFailure("the hub stopped by itself")
        }
        defer { group.cancelAll() }
        let url = try await withDeadline(.seconds(30), "the hub did not start listening") { try await hub.httpURL() }
        let seed = try await readSandboxFile(in: dataDirectory, httpURL: url)
        let testHub = TestHub(
            hub: hub, baseURL: url, apiKey: seed.apiKey, organisationID: seed.organisationID,
            recipients: seed.recipients, dataDirectory: dataDirectory
        )
        try await body(testHub)
    }
}

/// A fresh folder under the system's temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("missive-e2e-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// Quiet by default; `MISSIVE_TEST_LOG=debug` (or any level) shows the hub's log.
func testLogger() -> Logger {
    var logger = Logger(label: "missive.e2e")
    logger.logLevel = ProcessInfo.processInfo.environment["MISSIVE_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
    return logger
}

private struct SandboxFile {
    var apiKey: String
    var organisationID: String
    var recipients: [String: TestHub.SandboxRecipient]
}

/// Waits until `sandbox.json` exists and names this hub's URL (a restarted hub rewrites it).
private func readSandboxFile(in directory: URL, httpURL: String) async throws -> SandboxFile {
    let file = directory.appendingPathComponent("sandbox.json")
    return try await eventually(timeout: .seconds(10), "sandbox.json was not written") { () -> SandboxFile? in
        guard let data = try? Data(contentsOf: file), let json = try? JSON.parse(data),
              json["httpURL"]?.string == httpURL,
              let apiKey = json["apiKey"]?.string, let organisation = json["organisationId"]?.string,
              let items = json["recipients"]?.array
        else { return nil }
        var recipients: [String: TestHub.SandboxRecipient] = [:]
        for item in items {
            guard let id = item["id"]?.string, let recipient = item["recipient"] else { continue }
            recipients[id] = .init(id: id, recipient: recipient, mailboxKey: item["mailboxKey"]?.string)
        }
        return SandboxFile(apiKey: apiKey, organisationID: organisation, recipients: recipients)
    }
}
