import HTTPTypes
import Hummingbird
import MissiveCore
import OpenAPIHummingbird
import OpenAPIRuntime
import Synchronization

extension OneAPI {
    /// Registers the generated routes on `router` and records them in `routes`, so that
    /// ``MethodGuard`` can answer `405` for the methods a path does not define.
    public func register<Context: RequestContext>(on router: Hummingbird.Router<Context>, routes: RouteTable) throws {
        try registerHandlers(on: RouteRecorder(router: router, table: routes), configuration: Self.configuration)
    }
}

/// The spec's paths and their methods, learnt while registering the generated handlers.
public final class RouteTable: Sendable {
    private let entries = Mutex<[(segments: [Substring], methods: Set<HTTPRequest.Method>)]>([])

    public init() {}

    func add(path: String, method: HTTPRequest.Method) {
        let segments = path.split(separator: "/")
        entries.withLock { entries in
            if let index = entries.firstIndex(where: { $0.segments == segments }) {
                entries[index].methods.insert(method)
            } else {
                entries.append((segments, [method]))
            }
        }
    }

    /// The methods of the spec path matching `path`, or nil for an unknown path.
    func methods(for path: String) -> Set<HTTPRequest.Method>? {
        let parts = path.split(separator: "/")
        return entries.withLock { entries in
            entries.first { entry in
                entry.segments.count == parts.count && zip(entry.segments, parts).allSatisfy { template, part in
                    template.hasPrefix("{") || template.hasPrefix(":") || template == part
                }
            }?.methods
        }
    }
}

/// Answers `405 Method Not Allowed` (with `Allow`) for a known path and an undefined method,
/// whatever the method (including ones the router does not know, like `QUERY`).
public struct MethodGuard<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    public init(routes: RouteTable) {
        self.routes = routes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let methods = routes.methods(for: request.uri.path), !methods.contains(request.method),
           !(request.method == .head && methods.contains(.get)) {
            throw MethodNotAllowed(allow: methods.map(\.rawValue).sorted().joined(separator: ", "))
        }
        return try await next(request, context)
    }
}

/// Thrown for a known path with a method the spec does not define.
struct MethodNotAllowed: Error {
    var allow: String
}

/// A transport that forwards registrations to a Hummingbird router and records them.
final class RouteRecorder<Context: RequestContext>: ServerTransport {
    let router: Hummingbird.Router<Context>
    let table: RouteTable

    init(router: Hummingbird.Router<Context>, table: RouteTable) {
        self.router = router
        self.table = table
    }

    func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method, path: String
    ) throws {
        router.register(handler, method: method, path: path)
        table.add(path: path, method: method)
    }
}
