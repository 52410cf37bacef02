import Foundation
import MissiveCore
import MissiveServer
import MissiveStore
import Testing

/// Every refusal is an RFC 9457 `application/problem+json` document, and none of them hurts
/// the server.
@Suite("Problem responses end to end")
struct ProblemTests {
    /// Checks the problem document's shape, status and code.
    private func expectProblem(
        _ response: TestResponse, status: Int, code: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.mediaType == "application/problem+json", sourceLocation: sourceLocation)
        let problem = try response.json()
        #expect(problem["type"]?.string?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(problem["title"]?.string?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(problem["status"]?.int == status, sourceLocation: sourceLocation)
        let actual = problem["code"]?.string
        #expect(actual?.isEmpty == false, sourceLocation: sourceLocation)
        if let code { #expect(actual == code, sourceLocation: sourceLocation) }
        if let actual { #expect(problem["type"]?.string?.hasSuffix(actual) == true, sourceLocation: sourceLocation) }
    }

    /// The server still answers its liveness probe.
    private func expectHealthy(_ hub: TestHub, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let health = try await hub.request(.GET, "/healthz", as: .none)
        #expect(health.status == 200, sourceLocation: sourceLocation)
    }

    @Test("no key or an unknown key is 401 with WWW-Authenticate; a mailbox key on /v1/envelopes is 403")
    func credentials() async throws {
        try await withHub { hub in
            let envelope: JSON = ["recipient": try hub.recipient("physical").recipient]
            for credential in [Credential.none, .bearer("mk_test_unknown0000000000000000")] {
                let listing = try await hub.request(.GET, "/v1/envelopes", as: credential)
                try expectProblem(listing, status: 401, code: "unauthenticated")
                #expect(listing.header("WWW-Authenticate")?.lowercased().hasPrefix("bearer") == true)
                let submission = try await hub.submit(envelope, as: credential)
                try expectProblem(submission, status: 401, code: "unauthenticated")
                #expect(submission.header("WWW-Authenticate") != nil)
            }
            let basic = try await hub.request(.GET, "/v1/envelopes", as: .none, headers: [("Authorization", "Basic dXNlcjpwYXNz")])
            try expectProblem(basic, status: 401, code: "unauthenticated")

            let mailboxKey = try #require(try hub.recipient("digital").mailboxKey)
            try expectProblem(try await hub.request(.GET, "/v1/envelopes", as: .bearer(mailboxKey)), status: 403, code: "forbidden")
            try expectProblem(try await hub.submit(envelope, as: .bearer(mailboxKey)), status: 403, code: "forbidden")
            // …and the organisation key is refused on the recipient's side.
            try expectProblem(try await hub.request(.GET, "/v1/mailbox/letters"), status: 403, code: "forbidden")
            #expect(try await hub.get("/v1/envelopes")["items"]?.array?.isEmpty == true)
            try await expectHealthy(hub)
        }
    }

    @Test("unknown envelopes and another organisation's envelopes are 404")
    func notFound() async throws {
        try await withHub { hub in
            try expectProblem(try await hub.request(.GET, "/v1/envelopes/env_01ARZ3NDEKTSV4RRFFQ69G5FAV"), status: 404, code: "not_found")
            try expectProblem(try await hub.request(.GET, "/v1/envelopes/not-an-id"), status: 404, code: "not_found")
            try expectProblem(try await hub.request(.GET, "/v1/envelopes/env_01ARZ3NDEKTSV4RRFFQ69G5FAV/events"), status: 404, code: "not_found")

            let other = try await hub.hub.store.createOrganisation(name: "Other AG", mode: .test)
            let otherHub = TestHub(
                hub: hub.hub, baseURL: hub.baseURL, apiKey: other.apiKey, organisationID: other.organisationID.rawValue,
                recipients: hub.recipients, dataDirectory: hub.dataDirectory
            )
            let theirs = try await otherHub.send(to: "physical")
            try expectProblem(try await hub.request(.GET, "/v1/envelopes/\(theirs)"), status: 404, code: "not_found")
            try expectProblem(try await hub.request(.GET, "/v1/envelopes/\(theirs)/events"), status: 404, code: "not_found")
            try expectProblem(try await hub.request(.POST, "/v1/envelopes/\(theirs)/cancel"), status: 404, code: "not_found")
            #expect(try await hub.get("/v1/envelopes")["items"]?.array?.isEmpty == true)
            let feed = try await hub.get("/v1/events")["items"]?.array ?? []
            #expect(!feed.contains { $0["envelopeId"]?.string == theirs })
            // The owner still sees it.
            #expect(try await otherHub.envelope(theirs)["id"]?.string == theirs)
            try await expectHealthy(hub)
        }
    }

    @Test("documents that are not PDFs, truncated or too large are refused")
    func badDocuments() async throws {
        try await withHub({ $0.maxDocumentBytes = 4096 }) { hub in
            let envelope: JSON = ["recipient": try hub.recipient("physical").recipient]
            try expectProblem(try await hub.submit(envelope, document: Data("Hello, this is not a PDF.\n".utf8)), status: 422, code: "invalid_document")
            try expectProblem(try await hub.submit(envelope, document: SamplePDF.truncated()), status: 422, code: "invalid_document")
            let large = SamplePDF.make(padding: 5000)
            #expect(large.count > 4096)
            try expectProblem(try await hub.submit(envelope, document: large), status: 413)
            // Just under the limit is fine.
            let fitting = SamplePDF.make(padding: 3000)
            #expect(fitting.count <= 4096)
            #expect(try await hub.submit(envelope, document: fitting).status == 202)
            #expect(try await hub.get("/v1/envelopes")["items"]?.array?.count == 1)
            try await expectHealthy(hub)
        }
    }

    @Test("malformed requests are 400, a text/plain body is 415")
    func malformedRequests() async throws {
        try await withHub { hub in
            let recipient = try hub.recipient("physical").recipient
            try expectProblem(try await hub.submit(rawEnvelope: Data(#"{"recipient": {"postal": "#.utf8), document: SamplePDF.make()), status: 400, code: "invalid_request")
            let unknownField: JSON = ["recipient": recipient, "colour": "blue"]
            let unknown = try await hub.submit(unknownField)
            try expectProblem(unknown, status: 400, code: "invalid_request")
            #expect(try unknown.json()["errors"]?[0]?["pointer"]?.string?.contains("colour") == true, "\(unknown.text)")
            let missing = try await hub.submit(["recipient": recipient], document: nil)
            try expectProblem(missing, status: 400, code: "invalid_request")
            let plain = try await hub.request(.POST, "/v1/envelopes", contentType: "text/plain", body: Data("hello".utf8))
            try expectProblem(plain, status: 415, code: "unsupported_media_type")
            #expect(try await hub.get("/v1/envelopes")["items"]?.array?.isEmpty == true)
            try await expectHealthy(hub)
        }
    }

    @Test("cancelling after dispatch is 409")
    func cancelAfterDispatch() async throws {
        try await withHub { hub in
            let id = try await hub.send(to: "physical")
            try await hub.waitForEvent("printed", of: id)
            let cancel = try await hub.request(.POST, "/v1/envelopes/\(id)/cancel")
            try expectProblem(cancel, status: 409, code: "conflict")
            #expect(try await hub.waitForEvent("posted", of: id).allSatisfy { $0["type"]?.string != "cancelled" })
            try await expectHealthy(hub)
        }
    }

    /// Found by fuzzing (fuzz/crashes/form-data/): the null scan read a quoted boundary
    /// unquoted, the OpenAPI multipart parser with its quotes.
    @Test("a quoted boundary is read the same by the null scan and the multipart parser")
    func quotedBoundary() async throws {
        try await withHub { hub in
            let recipient = try hub.recipient("physical").recipient
            let body = MultipartBody.submission(envelope: JSON.object(["recipient": recipient]).data, document: SamplePDF.make())
            let quoted = try await hub.request(.POST, "/v1/envelopes", contentType: "multipart/form-data; boundary=\"\(body.boundary)\"", body: body.finished)
            #expect(quoted.status == 202, "\(quoted.text)")

            var smuggled = Data("--\"q\"\r\nContent-Disposition: form-data; name=\"envelope\"\r\nContent-Type: application/json\r\n\r\n".utf8)
            smuggled.append(JSON.object(["recipient": recipient]).data.dropLast())
            smuggled.append(Data(",\"title\":null}\r\n--\"q\"\r\nContent-Disposition: form-data; name=\"document\"\r\nContent-Type: application/pdf\r\n\r\n".utf8))
            smuggled.append(SamplePDF.make())
            smuggled.append(Data("\r\n--\"q\"--\r\n".utf8))
            let refused = try await hub.request(.POST, "/v1/envelopes", contentType: "multipart/form-data; boundary=\"q\"", body: smuggled)
            try expectProblem(refused, status: 400, code: "invalid_request")

            let semicolon = try await hub.request(.POST, "/v1/envelopes", contentType: "multipart/form-data; boundary=\"a;b\"", body: body.finished)
            try expectProblem(semicolon, status: 400, code: "invalid_request")
            #expect(try await hub.get("/v1/envelopes")["items"]?.array?.count == 1)
            try await expectHealthy(hub)
        }
    }
}
