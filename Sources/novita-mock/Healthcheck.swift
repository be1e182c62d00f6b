import NovitaMock
import OutboundHTTP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `novita-mock healthcheck [--port N] [--host ADDRESS] [--url http://host:port/path]`: asks the
/// local server's `GET /__mock/ready` and exits 0 on a `200` status line, else prints one line
/// to stderr and exits 1 — the contract of a container `HEALTHCHECK` (which reserves exit 2).
///
/// It asks with the mock's own outbound client (`OutboundHTTPClient`), on purpose: the runtime
/// image has no curl, and Foundation's networking would pull full Foundation (and ICU) into the
/// shipped binary. The whole probe — resolve, connect, send, read the answer — shares one deadline.
///
/// Defaults come from the server's own variables so the probe finds the server it sits next to:
/// the port from `NOVITA_MOCK_PORT` (else 8080), the address from `NOVITA_MOCK_HOST` when that
/// names one address (a wildcard bind such as `0.0.0.0` is probed on `127.0.0.1`).
enum Healthcheck {
    /// The overall time budget of one probe, in milliseconds (Docker's default timeout is 30 s;
    /// the image's `HEALTHCHECK --timeout` is a little longer than this).
    static let timeoutMilliseconds = 2_000

    /// Where the probe goes.
    struct Target: Equatable {
        var host: String
        var port: Int
        var path: String

        var description: String { "http://\(MockService.dialableAuthority(host: host, port: port))\(path)" }
    }

    /// Why the probe failed: the one line printed to stderr.
    struct Failure: Error {
        var reason: String
    }

    /// Runs the probe and returns the process exit code: 0 healthy, 1 otherwise.
    static func run(arguments: [String]) -> Int32 {
        do throws(Failure) {
            let target = try parse(arguments: arguments, environment: { getenv($0).map { String(cString: $0) } })
            try probe(target, timeoutMilliseconds: timeoutMilliseconds)
            return 0
        } catch {
            printError("novita-mock healthcheck: \(error.reason)")
            return 1
        }
    }

    /// Turns arguments and the environment into a target; a flag wins over its variable.
    static func parse(arguments: [String], environment: (String) -> String?) throws(Failure) -> Target {
        var target = Target(host: "127.0.0.1", port: 8080, path: "/__mock/ready")
        if let host = environment("NOVITA_MOCK_HOST"), !isWildcard(host) { target.host = host }
        if let text = environment("NOVITA_MOCK_PORT"), !text.isEmpty {
            target.port = try port(text, from: "NOVITA_MOCK_PORT")
        }

        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            let name: String
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            } else {
                name = argument
            }
            guard ["--port", "--host", "--url"].contains(name) else {
                throw Failure(
                    reason: "unknown argument \(argument) (use --port N, --host ADDRESS or --url http://host:port/path)"
                )
            }
            if value == nil { value = remaining.popFirst() }
            guard let value, !value.isEmpty else { throw Failure(reason: "\(name) needs a value") }
            switch name {
            case "--port": target.port = try port(value, from: "--port")
            case "--host": target.host = isWildcard(value) ? "127.0.0.1" : value
            default: target = try parseURL(value)
            }
        }
        guard target.port > 0 else {
            throw Failure(reason: "port 0 means 'any free port': give the port the server logged with --port")
        }
        return target
    }

    /// Parses `http://host[:port][/path]` with the outbound client's URL parser; only plain
    /// HTTP, the only scheme the server speaks.
    static func parseURL(_ text: String) throws(Failure) -> Target {
        guard text.lowercased().hasPrefix("http://") else {
            throw Failure(reason: "--url must start with http://, got \(text)")
        }
        switch OutboundURL.parse(text) {
        case .success(let url): return Target(host: url.host, port: Int(url.port), path: url.target)
        case .failure(let problem): throw Failure(reason: "--url \(text) is not usable: \(problem)")
        }
    }

    /// Sends `GET path` with the outbound HTTP client and succeeds only on a `200` status.
    static func probe(_ target: Target, timeoutMilliseconds: Int) throws(Failure) {
        let request = OutboundRequest(
            method: "GET", url: target.description,
            headers: [(name: "User-Agent", value: "novita-mock-healthcheck"), (name: "Accept", value: "*/*")],
            timeoutMs: timeoutMilliseconds)
        switch OutboundHTTPClient(maxResponseBodyBytes: 4096).send(request) {
        case .success(let response) where response.status == 200: return
        case .success(let response): throw Failure(reason: "\(target.description) answered \(response.status)")
        case .failure(let error): throw Failure(reason: "\(target.description): \(error)")
        }
    }

    private static func port(_ text: String, from source: String) throws(Failure) -> Int {
        guard let port = Int(text), (0...65535).contains(port) else {
            throw Failure(reason: "\(source) must be a port number in 0…65535, got \(text)")
        }
        return port
    }

    private static func isWildcard(_ host: String) -> Bool { ["", "0.0.0.0", "::", "[::]", "*"].contains(host) }

    /// Writes straight to file descriptor 2: C's `stderr` is a global variable Swift 6 refuses.
    private static func printError(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
