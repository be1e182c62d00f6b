import MicroHTTP

/// A handler: the service is passed in, so routes capture nothing.
typealias RouteHandler = @Sendable (MockService, HTTPRequest) -> HTTPReply

/// Maps paths to handlers by method; answers 404 `API_NOT_FOUND` and 405 with `Allow` itself.
struct Router: Sendable {
    enum Pattern: Sendable {
        case exact(String)
        /// The path starts with this (the rest is for the handler to read).
        case prefix(String)

        /// The route's name in metrics: the path itself, or the prefix and `*` (bounded either way).
        var label: String {
            switch self {
            case .exact(let p): p
            case .prefix(let p): p + "*"
            }
        }

        func matches(_ path: String) -> Bool {
            switch self {
            case .exact(let p): path == p
            case .prefix(let p): path.hasPrefix(p)
            }
        }
    }

    private struct Route: Sendable {
        let pattern: Pattern
        let label: String
        let handlers: [(method: String, handler: RouteHandler)]
    }

    /// What a request resolved to: its handler and its route's metrics label.
    struct Match: Sendable {
        let handler: RouteHandler
        let label: String
    }

    private var routes: [Route] = []
    /// Exact paths by position in `routes`: a hash lookup per request instead of a walk.
    private var exactRoutes: [String: Int] = [:]
    /// The prefix routes by position in `routes`, in the order added: the only ones a path
    /// without an exact route has to be tried against (not the hundreds of exact ones).
    private var prefixRoutes: [Int] = []

    mutating func add(_ pattern: Pattern, _ handlers: [(String, RouteHandler)]) {
        switch pattern {
        case .exact(let path): if exactRoutes[path] == nil { exactRoutes[path] = routes.count }
        case .prefix: prefixRoutes.append(routes.count)
        }
        routes.append(
            Route(pattern: pattern, label: pattern.label, handlers: handlers.map { (method: $0.0, handler: $0.1) }))
    }

    /// The handler for a request, or the 404/405 error. An exact path wins over a prefix.
    func resolve(method: String, path: String) -> Result<Match, APIError> {
        let found =
            exactRoutes[path].map { routes[$0] }
            ?? prefixRoutes.first { routes[$0].pattern.matches(path) }.map { routes[$0] }
        guard let route = found else {
            return .failure(.apiNotFound(method, path))
        }
        if let match = route.handlers.first(where: { $0.method == method }) {
            return .success(Match(handler: match.handler, label: route.label))
        }
        return .failure(.methodNotAllowed(method, path: path, allowed: route.handlers.map(\.method)))
    }
}
