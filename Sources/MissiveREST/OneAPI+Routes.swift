import HTTPTypes
import Hummingbird
import MissiveCore
import OpenAPIHummingbird
import OpenAPIRuntime
import Synchronization

extension OneAPI {
    /// Registers the generated routes on `router`, and for every path of the spec answers
    /// the methods it does not define with `405` and an `Allow` header.
    public func register<Context: RequestContext>(on router: Hummingbird.Router<Context>) throws {
        let recorder = RouteRecorder(router: router)
        try registerHandlers(on: recorder, configuration: Self.configuration)
        for (path, methods) in recorder.routes {
            let allow = methods.map(\.rawValue).sorted().joined(separator: ", ")
            for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch, .options, .trace] where !methods.contains(method) {
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    throw MethodNotAllowed(allow: allow)
                }
            }
        }
    }
}

/// Thrown for a known path with a method the spec does not define.
struct MethodNotAllowed: Error {
    var allow: String
}

/// A transport that forwards registrations to a Hummingbird router and remembers them.
final class RouteRecorder<Context: RequestContext>: ServerTransport {
    let router: Hummingbird.Router<Context>
    private let recorded = Mutex<[String: Set<HTTPRequest.Method>]>([:])

    init(router: Hummingbird.Router<Context>) {
        self.router = router
    }

    var routes: [String: Set<HTTPRequest.Method>] { recorded.withLock { $0 } }

    func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method, path: String
    ) throws {
        router.register(handler, method: method, path: path)
        recorded.withLock { $0[path, default: []].insert(method) }
    }
}
