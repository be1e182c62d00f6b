import Glibc
import MicroHTTP

/// The header fields an early answer (a finished poll's, a cached download's) depends on, read
/// from the borrowed head and found as `HTTPHeaders` finds them: the first field named exactly
/// so, else the first in any case.
struct EarlyRequestHeaders {
    /// One wanted field: what was seen of it so far.
    struct Field {
        let name: StaticString
        var exact: UnsafeRawBufferPointer?
        var anyCase: UnsafeRawBufferPointer?

        init(_ name: StaticString) { self.name = name }

        var value: UnsafeRawBufferPointer? { exact ?? anyCase }

        mutating func see(name seen: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
            guard seen.count == name.utf8CodeUnitCount, exact == nil else { return }
            if seen.isExactly(name) {
                exact = value
            } else if anyCase == nil, EarlyRequestHeaders.sameInAnyCase(seen, name) {
                anyCase = value
            }
        }
    }

    private var authorizationField = Field("Authorization")
    private var hostField = Field("Host")
    private var testIDField = Field("X-Test-Id")
    /// `Content-Length` or `Transfer-Encoding`: a GET with a body is the pipeline's.
    private(set) var announcesBody = false
    /// `Range` or `If-None-Match`: a download answered in part, or not at all, is the pipeline's.
    private(set) var asksConditionally = false

    var authorization: UnsafeRawBufferPointer? { authorizationField.value }
    var testID: UnsafeRawBufferPointer? { testIDField.value }

    mutating func see(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        if Self.sameInAnyCase(name, "Content-Length") || Self.sameInAnyCase(name, "Transfer-Encoding") {
            announcesBody = true
        }
        if Self.sameInAnyCase(name, "Range") || Self.sameInAnyCase(name, "If-None-Match") {
            asksConditionally = true
        }
        authorizationField.see(name: name, value: value)
        hostField.see(name: name, value: value)
        testIDField.see(name: name, value: value)
    }

    /// Whether the `Host` names a host that serves the `/v3` API (`HostPersona`): a string is
    /// made only for names that may be Novita's.
    var hostServesAPI: Bool {
        guard let host = hostField.value, let first = host.first(where: { $0 != 0x20 && $0 != 0x09 }),
            HostPersona.mayBeNovitaName(initial: first)
        else { return true }
        return HostPersona(hostHeader: String(decoding: host, as: UTF8.self)).serves(path: "/v3/")
    }

    static func sameInAnyCase(_ name: UnsafeRawBufferPointer, _ wanted: StaticString) -> Bool {
        guard name.count == wanted.utf8CodeUnitCount else { return false }
        let wantedBytes = UnsafeRawBufferPointer(start: wanted.utf8Start, count: wanted.utf8CodeUnitCount)
        for index in 0..<name.count where Self.lower(name[index]) != Self.lower(wantedBytes[index]) {
            return false
        }
        return true
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }
}

extension UnsafeRawBufferPointer {
    /// Whether these bytes are exactly `text`'s.
    func isExactly(_ text: StaticString) -> Bool {
        count == text.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, text.utf8Start, count) == 0)
    }
}
