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
        guard var header = request.headers["Authorization"] else { return nil }
        return header.withUTF8 { bytes in
            keyRange(in: UnsafeRawBufferPointer(bytes)).map {
                String(decoding: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[$0]), as: UTF8.self)
            }
        }
    }

    /// Where the key is in an `Authorization` value's bytes (see `key(from:)`), or nil when it
    /// carries none. Bytes in place, not Characters: this runs on every request.
    static func keyRange(in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        var start = 0
        var end = bytes.count
        while start < end, isBlank(bytes[start]) { start += 1 }
        while end > start, isBlank(bytes[end - 1]) { end -= 1 }
        let scheme: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0x62, 0x65, 0x61, 0x72, 0x65, 0x72)  // "bearer"
        if end - start >= 6, bytes[start] | 0x20 == scheme.0, bytes[start + 1] | 0x20 == scheme.1,
            bytes[start + 2] | 0x20 == scheme.2, bytes[start + 3] | 0x20 == scheme.3,
            bytes[start + 4] | 0x20 == scheme.4, bytes[start + 5] | 0x20 == scheme.5
        {
            let rest = start + 6
            if rest == end { return nil }  // "Bearer" and nothing else
            if bytes[rest] == 0x20 {
                start = rest
                while start < end, isBlank(bytes[start]) { start += 1 }
            }
        }
        return start < end ? start..<end : nil
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
