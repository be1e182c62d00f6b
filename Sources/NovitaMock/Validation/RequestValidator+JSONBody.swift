import MicroHTTP

extension RequestValidator {
    /// Submits and sync calls take JSON only (docs/contract.md §4).
    static func requireJSON(_ request: HTTPRequest) throws(APIError) {
        guard MockService.isJSON(request) else {
            let given = request.headers["Content-Type"] ?? "no Content-Type"
            let sentence = "Content-Type must be application/json (only JSON is supported), got \(given.prefix(100))"
            throw APIError.invalidBody(
                sentence,
                metadata: [
                    ("path", "header Content-Type"), ("expected", "application/json"),
                    ("actual", String(given.prefix(100))), ("violation_count", "1"), ("violations", sentence),
                ])
        }
    }
}
