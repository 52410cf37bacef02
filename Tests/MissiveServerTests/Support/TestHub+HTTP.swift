import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An HTTP response read completely.
struct TestResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data

    /// The body as JSON.
    func json() throws -> JSON {
        do { return try JSON.parse(body) } catch {
            throw TestFailure("HTTP \(status) body is not JSON: \(String(decoding: body.prefix(500), as: UTF8.self))")
        }
    }

    /// The first value of a header.
    func header(_ name: String) -> String? { headers.first(name: name) }

    /// The media type of the body, without parameters.
    var mediaType: String? {
        header("content-type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// The HTTP methods the tests use.
enum Method: String, Sendable {
    case GET, POST, PUT, DELETE

    var nio: HTTPMethod {
        switch self {
        case .GET: .GET
        case .POST: .POST
        case .PUT: .PUT
        case .DELETE: .DELETE
        }
    }
}

/// Which bearer key a request carries.
enum Credential: Sendable {
    /// The sandbox organisation's API key.
    case organisation
    case bearer(String)
    case none
}

extension TestHub {
    /// Sends one request to the hub and reads the whole response.
    func request(
        _ method: Method, _ path: String, as credential: Credential = .organisation,
        headers: [(String, String)] = [], contentType: String? = nil, body: Data? = nil
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method.nio
        switch credential {
        case .organisation: request.headers.add(name: "authorization", value: "Bearer \(apiKey)")
        case .bearer(let key): request.headers.add(name: "authorization", value: "Bearer \(key)")
        case .none: break
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let contentType { request.headers.add(name: "content-type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 32 * 1024 * 1024)
        return TestResponse(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }

    /// `GET` as JSON, expecting 200.
    func get(_ path: String, as credential: Credential = .organisation) async throws -> JSON {
        let response = try await request(.GET, path, as: credential)
        guard response.status == 200 else { throw TestFailure("GET \(path) answered \(response.status): \(response.text)") }
        return try response.json()
    }

    /// `POST` a JSON body.
    func post(_ path: String, json: JSON, as credential: Credential = .organisation, headers: [(String, String)] = []) async throws -> TestResponse {
        try await request(.POST, path, as: credential, headers: headers, contentType: "application/json", body: json.data)
    }

    /// Submits an envelope as `multipart/form-data`: the envelope JSON and a PDF document.
    func submit(
        _ envelope: JSON, document: Data? = SamplePDF.make(), idempotencyKey: String? = nil, as credential: Credential = .organisation
    ) async throws -> TestResponse {
        try await submit(rawEnvelope: envelope.data, document: document, idempotencyKey: idempotencyKey, as: credential)
    }

    /// Submits envelope bytes as they are (for malformed JSON).
    func submit(rawEnvelope: Data, document: Data?, idempotencyKey: String? = nil, as credential: Credential = .organisation) async throws -> TestResponse {
        let body = MultipartBody.submission(envelope: rawEnvelope, document: document)
        return try await request(
            .POST, "/v1/envelopes", as: credential, headers: idempotencyKey.map { [("Idempotency-Key", $0)] } ?? [],
            contentType: body.contentType, body: body.finished
        )
    }

    /// Submits an envelope that must be accepted (202); returns the envelope resource.
    func send(_ envelope: JSON, document: Data = SamplePDF.make()) async throws -> JSON {
        let response = try await submit(envelope, document: document)
        guard response.status == 202 else { throw TestFailure("submission answered \(response.status): \(response.text)") }
        return try response.json()
    }

    /// Sends a letter to a sandbox recipient; returns the envelope id.
    func send(to recipientID: String, extra: [String: JSON] = [:]) async throws -> String {
        var envelope: [String: JSON] = ["recipient": try recipient(recipientID).recipient, "title": .string("Letter to \(recipientID)")]
        envelope.merge(extra) { _, new in new }
        let accepted = try await send(.object(envelope))
        guard let id = accepted["id"]?.string else { throw TestFailure("accepted envelope without id") }
        return id
    }

    /// The envelope's status events, oldest first.
    func events(of envelopeID: String) async throws -> [JSON] {
        try await get("/v1/envelopes/\(envelopeID)/events")["items"]?.array ?? []
    }

    /// The envelope's event types, oldest first.
    func eventTypes(of envelopeID: String) async throws -> [String] {
        try await events(of: envelopeID).compactMap { $0["type"]?.string }
    }

    /// Polls the envelope's events until one of type `type` appears (20 s at most); returns all events.
    @discardableResult
    func waitForEvent(_ type: String, of envelopeID: String, timeout: Duration = .seconds(20)) async throws -> [JSON] {
        var last: [String] = []
        return try await eventually(timeout: timeout, "\(envelopeID) never reached \(type); events so far: \(last)") {
            let events = try await events(of: envelopeID)
            last = events.compactMap { $0["type"]?.string }
            return last.contains(type) ? events : nil
        }
    }

    /// The envelope resource.
    func envelope(_ id: String) async throws -> JSON {
        try await get("/v1/envelopes/\(id)")
    }
}
