import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `missive send FILE --to …`: submits a PDF through the REST oneAPI, like any client.
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Submit a PDF letter through the REST API.")

    @Argument(help: "The PDF to send.") var file: String
    @Option(help: "The recipient as JSON (an envelope recipient object), e.g. '{\"ePostAddress\":\"anna@…\"}'.") var to: String
    @Option(help: "The hub's URL (env MISSIVE_URL).") var url: String = ProcessInfo.processInfo.environment["MISSIVE_URL"] ?? "http://127.0.0.1:8080"
    @Option(help: "API key (env MISSIVE_API_KEY).") var key: String = ProcessInfo.processInfo.environment["MISSIVE_API_KEY"] ?? ""
    @Option(help: "letter, invoice, payslip, contract or notice.") var kind = "letter"
    @Option(help: "A title shown to the recipient.") var title: String?
    @Option(name: .customLong("idempotency-key"), help: "Makes the submission safe to repeat.") var idempotencyKey: String?

    func run() async throws {
        guard !key.isEmpty else { throw ValidationError("Give --key or MISSIVE_API_KEY.") }
        guard let recipient = try? JSONSerialization.jsonObject(with: Data(to.utf8)) as? [String: Any] else {
            throw ValidationError("--to must be a JSON object.")
        }
        var envelope: [String: Any] = ["recipient": recipient, "kind": kind]
        if let title { envelope["title"] = title }
        let document = try Data(contentsOf: URL(fileURLWithPath: file))
        let boundary = "missive-\(UUID().uuidString)"
        var body = Data()
        func part(_ headers: String, _ content: Data) {
            body.append(Data("--\(boundary)\r\n\(headers)\r\n\r\n".utf8))
            body.append(content)
            body.append(Data("\r\n".utf8))
        }
        part("Content-Disposition: form-data; name=\"envelope\"\r\nContent-Type: application/json", try JSONSerialization.data(withJSONObject: envelope))
        part("Content-Disposition: form-data; name=\"document\"; filename=\"\(URL(fileURLWithPath: file).lastPathComponent)\"\r\nContent-Type: application/pdf", document)
        body.append(Data("--\(boundary)--\r\n".utf8))

        var request = HTTPClientRequest(url: url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/v1/envelopes")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        print(text)
        if response.status.code >= 300 { throw ExitCode(1) }
    }
}
