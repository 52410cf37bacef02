import Foundation

/// A `multipart/form-data` body (RFC 7578), written out by hand.
struct MultipartBody: Sendable {
    let boundary = "missive-test-\(UUID().uuidString)"
    private(set) var data = Data()

    /// The `Content-Type` header value, with the boundary.
    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Appends a part.
    mutating func add(name: String, filename: String? = nil, contentType: String, body: Data) {
        var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\""
        if let filename { head += "; filename=\"\(filename)\"" }
        head += "\r\nContent-Type: \(contentType)\r\n\r\n"
        data.append(Data(head.utf8))
        data.append(body)
        data.append(Data("\r\n".utf8))
    }

    /// The complete body, closing delimiter included.
    var finished: Data {
        var result = data
        result.append(Data("--\(boundary)--\r\n".utf8))
        return result
    }

    /// The usual submission: an `envelope` JSON part and a `document` PDF part.
    static func submission(envelope: Data, document: Data?) -> MultipartBody {
        var body = MultipartBody()
        body.add(name: "envelope", contentType: "application/json", body: envelope)
        if let document {
            body.add(name: "document", filename: "letter.pdf", contentType: "application/pdf", body: document)
        }
        return body
    }
}
