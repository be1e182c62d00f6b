import Dispatch
import Glibc
import Synchronization

/// One address `getaddrinfo` gave for a host, copied out of its list so it outlives the lookup.
struct ResolvedAddress: Sendable {
    var family: Int32
    var socketType: Int32
    var socketProtocol: Int32
    /// The `sockaddr_in` / `sockaddr_in6` bytes.
    var address: [UInt8]
}

/// Host name resolution bounded by a request's deadline.
///
/// `getaddrinfo` takes no timeout: a slow or unreachable DNS server holds the calling thread for
/// as long as the resolver's own timeouts and retries last (seconds each), past `timeoutMs`. A
/// name is therefore looked up on a helper thread, and the request stops waiting for it at the
/// deadline; the helper finishes on its own and its answer is dropped. Literal addresses never
/// wait: they are converted on the calling thread.
enum NameResolver {
    /// Looks up `host:port` for TCP. With `numericOnly` it looks nothing up: nil for a name,
    /// the address for a literal one.
    typealias Lookup =
        @Sendable (_ host: String, _ port: UInt16, _ numericOnly: Bool) -> Result<
            [ResolvedAddress], TransportFailure
        >?

    static func resolve(
        host: String, port: UInt16, before deadline: Deadline, lookup: @escaping Lookup = NameResolver.systemLookup
    ) throws(TransportFailure) -> [ResolvedAddress] {
        if let literal = lookup(host, port, true) { return try literal.get() }
        let answer = Answer()
        DispatchQueue.global().async {
            answer.result.withLock { $0 = lookup(host, port, false) }
            answer.ready.signal()
        }
        let waited = answer.ready.wait(timeout: .now() + .milliseconds(Int(deadline.remainingMs)))
        guard waited == .success, let result = answer.result.withLock({ $0 }) else { throw .timedOut }
        return try result.get()
    }

    /// Shared by the waiting request and the helper thread, which may outlive it.
    private final class Answer: Sendable {
        let ready = DispatchSemaphore(value: 0)
        let result = Mutex<Result<[ResolvedAddress], TransportFailure>?>(nil)
    }

    /// `getaddrinfo`; with `numericOnly`, nil for anything but a literal address (no lookup).
    static let systemLookup: Lookup = { host, port, numericOnly in
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | (numericOnly ? AI_NUMERICHOST : 0)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let status = getaddrinfo(host, String(port), &hints, &list)
        if numericOnly && status == EAI_NONAME { return nil }
        guard status == 0 else {
            let reason = status == EAI_SYSTEM ? errorText(errno) : String(cString: gai_strerror(status))
            return .failure(.connectFailed("could not resolve host \(host): \(reason)"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [ResolvedAddress] = []
        var entry = list
        while let info = entry?.pointee {
            entry = info.ai_next
            guard let address = info.ai_addr else { continue }
            addresses.append(
                ResolvedAddress(
                    family: info.ai_family, socketType: info.ai_socktype, socketProtocol: info.ai_protocol,
                    address: Array(UnsafeRawBufferPointer(start: address, count: Int(info.ai_addrlen)))))
        }
        return .success(addresses)
    }
}
