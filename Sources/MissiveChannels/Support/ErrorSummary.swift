import AsyncHTTPClient
import MissiveCore

/// Content-free one-line summaries of errors for logs and retry notes: a ``MissiveError``'s
/// code and reason, an HTTP client error's code, otherwise just the error's type.
enum ErrorSummary {
    /// Summarises `error` without paths, addresses or content.
    static func of(_ error: any Error) -> String {
        if let error = error as? MissiveError { return "\(error.code): \(error.reason)" }
        if let error = error as? HTTPClientError { return error.description }
        return String(describing: type(of: error))
    }
}
