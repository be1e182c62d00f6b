/// An absolute `http`/`https` URL taken apart for one request: where to connect and what to ask.
///
/// The project's one URL parser: the webhook validator, the webhook dispatcher, the S3 object
/// store, SigV4 signing and the health probe all use it, so a URL accepted at submit time is one
/// the client can send to. Only what a webhook or S3 URL needs is accepted: a scheme, a host (a
/// name, an IPv4 address or a bracketed IPv6 address), an optional port, and a path with an
/// optional query. User information (`user:password@`) is refused rather than silently dropped;
/// a fragment is not sent.
public struct OutboundURL: Equatable, Sendable {
    public var usesTLS: Bool
    /// The host to resolve: a name or an address, without IPv6 brackets.
    public var host: String
    public var port: UInt16
    /// The `Host` header value: the authority lowercased, a default port dropped (what libcurl
    /// sent, and what `AWSSignatureV4` signs when the caller gives no `Host`).
    public var hostHeader: String
    /// The request target: the path (at least `/`) and the query, as written.
    public var target: String

    /// Why a text is not an `OutboundURL`: one clause for an error message ("… is not a usable
    /// URL: <reason>").
    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String
    }

    public init?(_ url: String) {
        guard case .success(let parsed) = Self.parse(url) else { return nil }
        self = parsed
    }

    /// Parses `url`, or says what is wrong with it.
    public static func parse(_ url: String) -> Result<OutboundURL, Problem> {
        func problem(_ text: String) -> Result<OutboundURL, Problem> { .failure(Problem(description: text)) }
        let bytes = Array(url.utf8)
        guard bytes.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            return problem("it contains spaces or control characters")
        }
        let lower = url.lowercased()
        let usesTLS: Bool
        let schemeLength: Int
        var port: UInt16
        if lower.hasPrefix("http://") {
            (usesTLS, schemeLength, port) = (false, 7, 80)
        } else if lower.hasPrefix("https://") {
            (usesTLS, schemeLength, port) = (true, 8, 443)
        } else {
            return problem("only absolute http:// and https:// URLs are supported")
        }
        let rest = bytes[schemeLength...]
        let authorityEnd =
            rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
            ?? rest.endIndex
        let authorityBytes = rest[..<authorityEnd]
        guard !authorityBytes.isEmpty else { return problem("it has no host") }
        guard !authorityBytes.contains(UInt8(ascii: "@")) else {
            return problem("user information (user:password@) is not supported: it would not be sent")
        }

        var hostBytes: ArraySlice<UInt8>
        var portBytes: ArraySlice<UInt8>? = nil
        if authorityBytes.first == UInt8(ascii: "[") {
            guard let close = authorityBytes.firstIndex(of: UInt8(ascii: "]")) else {
                return problem("its IPv6 address has no closing ]")
            }
            hostBytes = authorityBytes[(authorityBytes.startIndex + 1)..<close]
            let afterClose = authorityBytes[(close + 1)...]
            if !afterClose.isEmpty {
                guard afterClose.first == UInt8(ascii: ":") else { return problem("text follows its IPv6 address") }
                portBytes = afterClose.dropFirst()
            }
            guard !hostBytes.isEmpty,
                hostBytes.allSatisfy({ $0.isASCIIHexDigit || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { return problem("its IPv6 address is not hex digits, ':' and '.'") }
        } else if let colon = authorityBytes.lastIndex(of: UInt8(ascii: ":")) {
            hostBytes = authorityBytes[..<colon]
            portBytes = authorityBytes[(colon + 1)...]
        } else {
            hostBytes = authorityBytes
        }
        guard !hostBytes.isEmpty else { return problem("it has no host") }
        // A ':' left in an unbracketed host is an IPv6 address without brackets or a second port.
        guard !hostBytes.contains(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") }),
            authorityBytes.first == UInt8(ascii: "[") || !hostBytes.contains(UInt8(ascii: ":"))
        else { return problem("its host is not a name, an IPv4 address or a bracketed IPv6 address") }
        if let portBytes {
            guard !portBytes.isEmpty, portBytes.count <= 5, portBytes.allSatisfy(\.isASCIIDigit),
                let number = Int(String(decoding: portBytes, as: UTF8.self)), (1...65535).contains(number)
            else { return problem("its port is not a number in 1…65535") }
            port = UInt16(number)
        }
        let authority = String(decoding: authorityBytes, as: UTF8.self).lowercased()
        let defaultPort = usesTLS ? ":443" : ":80"

        var targetBytes = bytes[authorityEnd...]
        if let hash = targetBytes.firstIndex(of: UInt8(ascii: "#")) { targetBytes = targetBytes[..<hash] }
        let path = String(decoding: targetBytes, as: UTF8.self)
        return .success(
            OutboundURL(
                usesTLS: usesTLS, host: String(decoding: hostBytes, as: UTF8.self), port: port,
                hostHeader: authority.hasSuffix(defaultPort)
                    ? String(authority.dropLast(defaultPort.count)) : authority,
                target: path.hasPrefix("/") ? path : "/" + path))
    }

    private init(usesTLS: Bool, host: String, port: UInt16, hostHeader: String, target: String) {
        self.usesTLS = usesTLS
        self.host = host
        self.port = port
        self.hostHeader = hostHeader
        self.target = target
    }

    /// The target's path, without the query.
    public var path: Substring { target[..<(target.firstIndex(of: "?") ?? target.endIndex)] }

    /// The target's query, without the `?`; empty when there is none.
    public var query: Substring {
        guard let question = target.firstIndex(of: "?") else { return "" }
        return target[target.index(after: question)...]
    }

    /// A literal address (IPv4 dotted or IPv6) rather than a name: no SNI is sent for it.
    public var hostIsAddress: Bool {
        host.contains(":") || (!host.isEmpty && host.utf8.allSatisfy { $0.isASCIIDigit || $0 == UInt8(ascii: ".") })
    }
}
