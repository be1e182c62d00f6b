import MicroHTTP

/// Turns the Authorization header into a tenant (docs/contract.md §2): each key is a tenant of its own.
struct Authenticator: Sendable {
    /// Valid keys as digests; nil accepts every non-empty key.
    private let keys: [SecretDigest]?

    init(apiKeys: [String]?) {
        keys = apiKeys.map { $0.map { SecretDigest($0.utf8) } }
    }

    /// The key carried by `Authorization: Bearer <key>`, or a bare `Authorization: <key>` (as the
    /// JS SDK sends it).
    static func key(from request: HTTPRequest) -> String? {
        guard let header = request.headers["Authorization"] else { return nil }
        // Bytes, not Characters: this runs on every request.
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        var value = Substring(header).utf8[...]
        while let first = value.first, isBlank(first) { value.removeFirst() }
        while let last = value.last, isBlank(last) { value.removeLast() }
        let scheme = "bearer".utf8
        if value.count >= scheme.count,
            value.prefix(scheme.count).elementsEqual(scheme, by: { $0 | 0x20 == $1 })
        {
            let rest = value.dropFirst(scheme.count)
            if rest.isEmpty { return nil }  // "Bearer" and nothing else
            if rest.first == 0x20 {
                value = rest
                while let first = value.first, isBlank(first) { value.removeFirst() }
            }
        }
        return value.isEmpty ? nil : String(Substring(value))
    }

    /// The tenant of a request.
    /// - Throws: 400 `MISSING_API_KEY` or 403 `INVALID_API_KEY`.
    func tenant(of request: HTTPRequest) throws(APIError) -> String {
        guard let key = Self.key(from: request) else { throw .missingAPIKey }
        if let keys {
            let given = SecretDigest(key.utf8)
            // Compare against every key, each digest in full, so timing tells neither which key
            // nor how long one is.
            var found = false
            for candidate in keys where candidate.matches(given) { found = true }
            guard found else { throw .invalidAPIKey }
        }
        return key
    }
}

extension Authenticator {
    /// Runs `body` with the tenant of the request, or answers the auth error.
    func authenticated(_ request: HTTPRequest, _ body: (String) -> HTTPReply) -> HTTPReply {
        do {
            return body(try tenant(of: request))
        } catch {
            return .now(error.response)
        }
    }
}
