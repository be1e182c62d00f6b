import Digests
@_exported import ImageCodecs
@_exported import MicroHTTP
@_exported import NovitaMock

#if canImport(Glibc)
    import Glibc
#endif

/// What every harness shares: a long-lived `MockService` on a frozen (virtual) clock, a way to
/// run a reply to its end, and the oracle "never 5xx unless a fault was injected".
public enum Fuzz {
    /// The HMAC key of image URLs, fixed so a harness can sign URLs of its own.
    public static let urlSecret = "fuzz-url-secret"
    /// The tenant every harness speaks as.
    public static let apiKey = "k"

    /// A service whose time never moves by itself (virtual clock, no `start()`): submitted tasks
    /// stay QUEUED, so fuzzing costs no rendering and no background work; `maxTasks` keeps the
    /// store small (a submit past it answers 429, which is fine, and the harness resets).
    public static func makeService(maxTasks: Int = 32, seed: UInt64 = 1) -> MockService {
        var configuration = MockConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 9
        configuration.clockMode = .virtual
        configuration.speed = 1
        configuration.seed = seed
        configuration.maxTasksPerTenant = maxTasks
        configuration.urlSecret = urlSecret
        configuration.imageCacheBytes = 8 << 20
        configuration.journalEntries = 64
        configuration.journalBytes = 1 << 20
        configuration.webhookTimeoutMs = 200
        configuration.storageDirectory = scratchDirectory()
        do {
            return try MockService(configuration: configuration, logger: Logger(level: .error, format: .text))
        } catch {
            fatalError("cannot make the service: \(error)")
        }
    }

    /// Where a harness may write (custom storage of test-mode tasks): `$FUZZ_SCRATCH` or /tmp.
    static func scratchDirectory() -> String {
        if let dir = getenv("FUZZ_SCRATCH").map({ String(cString: $0) }), !dir.isEmpty { return dir }
        return "/tmp/novita-mock-fuzz-scratch"
    }

    /// Runs a reply to its response, as the server would (work runs here or on its pool and is
    /// waited for, `.after` timers are skipped).
    public static func resolve(_ reply: HTTPReply) -> HTTPResponse {
        reply.waitForResponse()
    }

    /// Sends one request and resolves its reply.
    @discardableResult
    public static func send(
        _ service: MockService, _ method: String, _ path: String, query: [(name: String, value: String)] = [],
        headers: HTTPHeaders = [:], body: [UInt8] = []
    ) -> HTTPResponse {
        resolve(service.handle(HTTPRequest(method: method, path: path, query: query, headers: headers, body: body)))
    }

    /// The oracle: a status in 100…499, and a JSON error body that names its own status. Traps
    /// (so libFuzzer records the input) otherwise.
    public static func expectNoServerError(_ response: HTTPResponse, _ what: @autoclosure () -> String) {
        guard (100...499).contains(response.status) else {
            fail("\(what()) answered \(response.status): \(bodyText(response))")
        }
        if response.status >= 400, response.headers["Content-Type"] == "application/json" {
            let text = bodyText(response)
            guard text.contains("\"code\":\(response.status)") || text.contains("\"code\": \(response.status)") else {
                fail("\(what()) answered \(response.status) with an error body that does not say so: \(text)")
            }
        }
    }

    public static func bodyText(_ response: HTTPResponse, limit: Int = 2000) -> String {
        switch response.body {
        case .bytes(let bytes): return String(decoding: bytes.prefix(limit), as: UTF8.self)
        case .shared(let shared, let range):
            return "<\(range.count) of \(shared.count) shared bytes>"
        }
    }

    public static func fail(_ message: String) -> Never {
        fatalError("FUZZ ORACLE: \(message)")
    }

    /// The Authorization/Content-Type headers of an API call.
    public static var apiHeaders: HTTPHeaders {
        ["Authorization": "Bearer \(apiKey)", "Content-Type": "application/json", "Host": "127.0.0.1:9"]
    }

    /// A small valid PNG (RGB, 16×16) as base64, for bodies a harness builds itself.
    public static let tinyPNGBase64: String = {
        let pixels = PixelBuffer(width: 16, height: 16, fill: (200, 100, 50))
        let png = (try? ImageEncoder.encode(pixels, as: .png, parameters: "")) ?? []
        return base64(png)
    }()

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = Int(bytes[i])
            let b1 = i + 1 < bytes.count ? Int(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? Int(bytes[i + 2]) : 0
            out.append(alphabet[b0 >> 2])
            out.append(alphabet[((b0 & 3) << 4) | (b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[((b1 & 15) << 2) | (b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[b2 & 63] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Signs an image path the way the service does (docs/contract.md §7), so a harness can reach the code
    /// behind the signature check.
    public static func sign(path: String, amzDate: String, expires: Int64) -> String {
        let code = HMACSHA256.authenticationCode(key: urlSecret.utf8, message: "\(path)\n\(amzDate)\n\(expires)".utf8)
        return code.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// Splits fuzz input into at most `count` fields on byte `separator` (the last takes the rest).
    public static func fields(_ bytes: ArraySlice<UInt8>, separator: UInt8 = 0x0A, count: Int) -> [String] {
        bytes.split(separator: separator, maxSplits: count - 1, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// libFuzzer's driver (`LLVMFuzzerRunDriver`, in libclang_rt.fuzzer since LLVM 13).
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

extension Fuzz {
    /// SwiftPM on Linux links an executable with `--defsym main=<module>_main` (so tests can
    /// call it), which hides libFuzzer's own `main`: each harness defines `<module>_main` and
    /// hands control to libFuzzer's driver from it.
    public static func runDriver(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt {
        var count = argc
        var vector = argv
        return llvmFuzzerRunDriver(&count, &vector, callback)
    }
}
