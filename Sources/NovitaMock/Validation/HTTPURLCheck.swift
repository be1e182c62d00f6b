/// The check behind `webhook.url`: an absolute http(s) URL with a host.
enum HTTPURLCheck {
    static func isAbsoluteHTTPURL(_ text: String) -> Bool {
        guard let parsed = ParsedHTTPURL(text) else { return false }
        return !parsed.host.isEmpty
    }
}

/// The parts of an absolute http(s) URL that outbound delivery needs.
struct ParsedHTTPURL: Sendable, Equatable {
    let scheme: String
    let host: String
    let port: Int
    /// The path and query, starting with "/".
    let target: String

    init?(_ text: String) {
        guard !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else { return nil }
        let lower = text.lowercased()
        let rest: Substring
        if lower.hasPrefix("http://") {
            scheme = "http"
            rest = text.dropFirst(7)
        } else if lower.hasPrefix("https://") {
            scheme = "https"
            rest = text.dropFirst(8)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var hostPart = authority
        var portNumber = scheme == "https" ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { return nil }
                portNumber = p
            } else if !after.isEmpty {
                return nil
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            portNumber = p
        }
        guard !hostPart.isEmpty else { return nil }
        host = String(hostPart)
        port = portNumber
        var target = String(rest[authorityEnd...])
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        if !target.hasPrefix("/") { target = "/" + target }
        self.target = target
    }
}
