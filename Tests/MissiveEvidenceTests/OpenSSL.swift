import Foundation
import Testing

/// Runs the system `openssl` (the test oracle) in a scratch folder.
///
/// A missing `/usr/bin/openssl` is a test failure, never a skip.
struct OpenSSL {
    /// The result of one invocation.
    struct Run {
        var status: Int32
        var output: String
    }

    static let path = "/usr/bin/openssl"

    /// The scratch folder all relative file names refer to.
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("missive-evidence-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    /// Removes the scratch folder.
    func cleanUp() {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Writes `bytes` to `name` in the scratch folder.
    func write(_ bytes: some Sequence<UInt8>, to name: String) throws {
        try Data(bytes).write(to: folder.appendingPathComponent(name))
    }

    /// Reads `name` from the scratch folder.
    func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    /// Runs `openssl arguments…` with the scratch folder as working directory;
    /// records a test issue and throws when openssl is not installed.
    @discardableResult
    func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: Self.path) else {
            Issue.record("openssl not found at \(Self.path); it is the oracle and is required",
                         sourceLocation: sourceLocation)
            throw CocoaError(.fileNoSuchFile)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.path)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}

extension Array where Element == UInt8 {
    /// A copy with the byte at `index` inverted.
    func flipping(at index: Int) -> [UInt8] {
        var copy = self
        copy[index] ^= 0xFF
        return copy
    }
}
