import MicroHTTP

/// Turns the Authorization header into a tenant (SPEC §2): each key is a tenant of its own.
struct Authenticator: Sendable {
    /// Valid keys as bytes; nil accepts every non-empty key.
    private let keys: [[UInt8]]?

    init(apiKeys: [String]?) {
        keys = apiKeys.map { $0.map { Array($0.utf8) } }
    }

    /// The key carried by `Authorization: Bearer <key>`, or a bare `Authorization: <key>` (as the
    /// JS SDK sends it).
    static func key(from request: HTTPRequest) -> String? {
        guard let header = request.headers["Authorization"] else { return nil }
        var value = Substring(header).drop { $0 == " " || $0 == "\t" }
        if value.lowercased().hasPrefix("bearer ") {
            value = value.dropFirst(7).drop { $0 == " " || $0 == "\t" }
        } else if value.lowercased() == "bearer" {
            return nil
        }
        let key = String(value.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
        return key.isEmpty ? nil : key
    }

    /// The tenant of a request.
    /// - Throws: 400 `MISSING_API_KEY` or 403 `INVALID_API_KEY`.
    func tenant(of request: HTTPRequest) throws(APIError) -> String {
        guard let key = Self.key(from: request) else { throw .missingAPIKey }
        if let keys {
            let given = Array(key.utf8)
            // Compare against every key, in constant time per key, so timing tells nothing.
            var found = false
            for candidate in keys where ImageURLSigner.constantTimeEqual(candidate, given) { found = true }
            guard found else { throw .invalidAPIKey }
        }
        return key
    }
}
