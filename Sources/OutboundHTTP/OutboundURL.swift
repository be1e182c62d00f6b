/// An absolute `http`/`https` URL taken apart for one request: where to connect and what to ask.
///
/// Only what a webhook or S3 URL needs is accepted: a scheme, a host (a name, an IPv4 address or
/// a bracketed IPv6 address), an optional port, and a path with an optional query. User
/// information (`user:password@`) is refused rather than silently dropped; a fragment is not sent.
struct OutboundURL: Equatable {
    var usesTLS: Bool
    /// The host to resolve: a name or an address, without IPv6 brackets.
    var host: String
    var port: UInt16
    /// The `Host` header value: the authority lowercased, a default port dropped (what libcurl
    /// sent, and what `AWSSignatureV4` signs when the caller gives no `Host`).
    var hostHeader: String
    /// The request target: the path (at least `/`) and the query, as written.
    var target: String

    init?(_ url: String) {
        let bytes = Array(url.utf8)
        guard bytes.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { return nil }
        let lower = url.lowercased()
        let schemeLength: Int
        if lower.hasPrefix("http://") {
            (usesTLS, schemeLength, port) = (false, 7, 80)
        } else if lower.hasPrefix("https://") {
            (usesTLS, schemeLength, port) = (true, 8, 443)
        } else {
            return nil
        }
        let rest = bytes[schemeLength...]
        let authorityEnd =
            rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
            ?? rest.endIndex
        let authorityBytes = rest[..<authorityEnd]
        guard !authorityBytes.isEmpty, !authorityBytes.contains(UInt8(ascii: "@")) else { return nil }

        var hostBytes: ArraySlice<UInt8>
        var portBytes: ArraySlice<UInt8>? = nil
        if authorityBytes.first == UInt8(ascii: "[") {
            guard let close = authorityBytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            hostBytes = authorityBytes[(authorityBytes.startIndex + 1)..<close]
            let afterClose = authorityBytes[(close + 1)...]
            if !afterClose.isEmpty {
                guard afterClose.first == UInt8(ascii: ":") else { return nil }
                portBytes = afterClose.dropFirst()
            }
            guard hostBytes.allSatisfy({ $0.isASCIIHexDigit || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { return nil }
        } else if let colon = authorityBytes.lastIndex(of: UInt8(ascii: ":")) {
            hostBytes = authorityBytes[..<colon]
            portBytes = authorityBytes[(colon + 1)...]
        } else {
            hostBytes = authorityBytes
        }
        guard !hostBytes.isEmpty, !hostBytes.contains(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") })
        else { return nil }
        if let portBytes {
            guard !portBytes.isEmpty, portBytes.count <= 5, portBytes.allSatisfy(\.isASCIIDigit),
                let number = Int(String(decoding: portBytes, as: UTF8.self)), (1...65535).contains(number)
            else { return nil }
            port = UInt16(number)
        }
        host = String(decoding: hostBytes, as: UTF8.self)
        let authority = String(decoding: authorityBytes, as: UTF8.self).lowercased()
        let defaultPort = usesTLS ? ":443" : ":80"
        hostHeader = authority.hasSuffix(defaultPort) ? String(authority.dropLast(defaultPort.count)) : authority

        var targetBytes = bytes[authorityEnd...]
        if let hash = targetBytes.firstIndex(of: UInt8(ascii: "#")) { targetBytes = targetBytes[..<hash] }
        let path = String(decoding: targetBytes, as: UTF8.self)
        target = path.hasPrefix("/") ? path : "/" + path
    }

    /// A literal address (IPv4 dotted or IPv6) rather than a name: no SNI is sent for it.
    var hostIsAddress: Bool {
        host.contains(":") || (!host.isEmpty && host.utf8.allSatisfy { $0.isASCIIDigit || $0 == UInt8(ascii: ".") })
    }
}
