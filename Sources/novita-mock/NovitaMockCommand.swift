import ASCIIText
import ArgumentParser
import Dispatch
import FoundationEssentials
import ImageCodecs
import MicroHTTP
import NovitaMock
import OutboundHTTP
import TLSCertificates

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `novita-mock`: flags (and their `NOVITA_MOCK_*` variables) → `MockConfiguration`, then serve
/// until SIGINT/SIGTERM, draining in-flight requests.
@main
struct NovitaMockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "novita-mock",
        abstract: "A local emulator of the Novita AI image API (img2img, task-result, images).",
        discussion: """
            Every option can also be set by an environment variable NOVITA_MOCK_<OPTION_IN_UPPER_SNAKE>,
            e.g. --max-body-mb ↔ NOVITA_MOCK_MAX_BODY_MB; a flag on the command line wins.

            Other commands:
              novita-mock openapi [--endpoints DIR]   print the OpenAPI 3.1 document (the rules the server enforces)
              novita-mock endpoints     print the README's table of the built-in endpoint definitions
              novita-mock healthcheck   exit 0 when the local server answers /__mock/ready (for HEALTHCHECK)
              novita-mock tls init DIR [--name HOST]…   a private CA and a certificate for Novita's host names
              novita-mock conformance --upstream URL --api-key K   compare the emulation with an upstream
            """)

    @Option(help: "Bind address.") var host = "0.0.0.0"
    @Option(help: "Port; 0 picks a free port and logs it.") var port = 8080
    @Option(help: "Valid API keys: a comma list, or @file with one key per line. Unset: any non-empty key.")
    var apiKeys: String?
    @Option(help: "Request body limit in MiB.") var maxBodyMb = 64
    @Option(help: "MiB of request bodies held at once across all uploads; past it, 429 with Retry-After.")
    var maxBufferedBodyMb = 1024
    @Option(help: "Simulated GPU slots.") var workers = 4
    @Option(help: "Divides modelled durations (2 = twice as fast); 0 = instant.") var speed = 1.0
    @Option(help: "real or virtual (virtual: time moves only through POST /__mock/clock).") var clock = "real"
    @Option(help: "Seeds task ids, drawn seeds and fault probabilities so whole runs replay.") var seed: UInt64?
    @Option(help: "Seconds a finished task is kept.") var taskTtl = 3600
    @Option(help: "Tasks kept per tenant (API key).") var maxTasks = 100_000
    @Option(help: "Base of image URLs (e.g. http://mock:8080). Unset: http:// + the submit's Host header.")
    var publicUrl: String?
    @Option(help: "HMAC key of image URLs. Unset: random per process.") var urlSecret: String?
    @Option(help: "Encoded-image cache size in MiB.") var imageCacheMb = 256
    @Flag(help: "Strict validation (the docs to the letter) for every request.") var strict = false
    @Option(help: "Seconds an idle connection is kept open.") var connectionTimeout = 30
    @Option(help: "Most simultaneous connections; more wait in the listen backlog until one closes.")
    var connectionLimit = 4096
    @Option(help: "HTTP poll threads; 0 = one per core.") var threads = 0
    @Option(help: "Protects /__mock (except health and ready) with 'Authorization: Bearer <token>'.")
    var adminToken: String?
    @Option(help: "Requests the journal (GET /__mock/requests) keeps.") var journalEntries = 1000
    @Option(help: "A JSON file with an array of fault rules to load at start (as POST /__mock/faults takes them).")
    var faults: String?
    @Option(
        help:
            "Per-tenant limits, e.g. img2img=10/min,task-result=20/s (an endpoint by the last segment of its path, or a documented class such as remove_background), or novita for every limit Novita documents. Unset: none."
    )
    var rateLimit: String?
    @Option(help: "Milliseconds one webhook delivery attempt may take.") var webhookTimeoutMs = 5000
    @Option(help: "Largest input image fetched by URL (image_url), in MiB.") var maxFetchMb = 30
    @Option(
        help:
            "S3-compatible endpoint for extra.custom_storage (credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)."
    )
    var s3Endpoint: String?
    @Option(help: "Where extra.custom_storage objects are written when no --s3-endpoint is set.")
    var storageDir = "./mock-storage"
    @Option(
        help:
            "Persist tasks, their input images and the URL secret here; a restart (even after kill -9) keeps every acknowledged task. Unset: in memory."
    )
    var stateDir: String?
    @Option(
        help:
            "A model catalog JSON file replacing the built-in one ({\"models\": [...]}, as GET /v3/model serves them).")
    var models: String?
    @Flag(
        help:
            "Model names must be in the catalog and base models agree, else 400. Default: an unknown name is a warning (X-Mock-Warnings); base models are not compared."
    )
    var strictModels = false
    @Option(
        help:
            "A directory of endpoint definition files (*.json) laid over the built-in ones: a new method and path adds an endpoint, an existing one is replaced (docs/endpoints.md)."
    )
    var endpoints: String?
    @Option(help: "The credit balance each tenant starts with, in USD (GET /v3/user shows it in 0.0001 USD).")
    var creditBalance = 1000.0
    @Option(help: "debug, info, warning or error.") var logLevel = "info"
    @Option(help: "text, or json for one JSON object per line.") var logFormat = "text"
    @Option(help: "PEM server certificate (novita-mock tls init): serve HTTPS on --tls-port besides HTTP on --port.")
    var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "HTTPS port when --tls-cert is set; 0 picks a free port and logs it.") var tlsPort = 8443
    @Option(help: "The API --record forwards to, with the client's key (e.g. https://api.novita.ai).")
    var upstream: String?
    @Option(
        help:
            "Forward model-API requests to --upstream and write each exchange, and the media it names, into this cassette directory (docs/record-replay.md)."
    )
    var record: String?
    @Option(help: "Answer requests that match an exchange of this cassette directory; others are emulated.")
    var replay: String?
    @Flag(help: "With --replay: a request the cassette does not hold is 404 NOT_RECORDED instead of emulated.")
    var replayStrict = false
    @Option(help: "With --replay: request fields not compared, at any depth (comma list).")
    var replayIgnore = "seed,webhook"

    /// Reads `NOVITA_MOCK_*` variables for options not given on the command line.
    static func main() {
        // libjpeg-turbo's TurboJPEG API reads these at encode time and would change the bytes of
        // every JPEG; images must be a pure function of the request, so they go before any thread
        // starts.
        for variable in ["TJ_OPTIMIZE", "TJ_ARITHMETIC", "TJ_RESTART", "TJ_PROGRESSIVE"] { unsetenv(variable) }
        ImageMemory.keepFreedBuffers()
        switch CommandLine.arguments.dropFirst().first {
        case "openapi":
            // `openapi [--endpoints DIR]`: the document of what a server with those options serves.
            let rest = Array(CommandLine.arguments.dropFirst(2))
            let directory =
                rest.first == "--endpoints" && rest.count == 2
                ? rest[1] : ProcessInfo.processInfo.environment["NOVITA_MOCK_ENDPOINTS"]
            do {
                print(
                    try directory.map(OpenAPIDocument.yaml(endpointsDirectory:)) ?? OpenAPIDocument.yaml(),
                    terminator: "")
            } catch {
                let message = "novita-mock openapi: \(error)\n"
                _ = message.withCString { write(2, $0, strlen($0)) }
                Glibc.exit(1)
            }
            return
        case "endpoints":
            print(EndpointTable.markdown())
            return
        case "healthcheck":
            Glibc.exit(Healthcheck.run(arguments: Array(CommandLine.arguments.dropFirst(2))))
        case "tls":
            Glibc.exit(TLSInit.run(arguments: Array(CommandLine.arguments.dropFirst(2))))
        case "conformance":
            signal(SIGPIPE, SIG_IGN)
            ConformanceCommand.main(Array(CommandLine.arguments.dropFirst(2)))
            return
        default:
            break
        }
        // The server: hold SIGINT/SIGTERM before any thread starts (see SignalWaiter). A peer
        // that closes mid-write must cost an EPIPE, never the process: SIGPIPE is ignored.
        SignalWaiter.holdTerminationSignals()
        signal(SIGPIPE, SIG_IGN)
        let arguments = EnvironmentDefaults.merge(
            arguments: Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment,
            flags: ["strict", "strict-models", "replay-strict"],
            options: [
                "host", "port", "api-keys", "max-body-mb", "max-buffered-body-mb", "workers", "speed", "clock", "seed",
                "task-ttl", "max-tasks",
                "public-url", "url-secret", "image-cache-mb", "connection-timeout", "connection-limit", "threads",
                "admin-token",
                "log-level", "log-format", "journal-entries", "faults", "rate-limit", "webhook-timeout-ms",
                "max-fetch-mb",
                "s3-endpoint", "storage-dir", "state-dir", "models", "endpoints",
                "tls-cert", "tls-key", "tls-port", "credit-balance",
                "upstream", "record", "replay", "replay-ignore",
            ])
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    func makeConfiguration() throws -> MockConfiguration {
        var configuration = MockConfiguration()
        configuration.host = host
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0…65535, got \(port)") }
        configuration.port = port
        if let apiKeys { configuration.apiKeys = try Self.readKeys(apiKeys) }
        configuration.maxBodyBytes = try Self.bytes(mebibytes: maxBodyMb, option: "--max-body-mb", minimum: 1)
        configuration.maxBufferedBodyBytes = try Self.bytes(
            mebibytes: maxBufferedBodyMb, option: "--max-buffered-body-mb", minimum: maxBodyMb,
            minimumMeaning: "--max-body-mb")
        guard workers > 0 else { throw ValidationError("--workers must be at least 1, got \(workers)") }
        configuration.workers = workers
        guard speed >= 0, speed.isFinite else { throw ValidationError("--speed must be ≥ 0, got \(speed)") }
        configuration.speed = speed
        guard let mode = MockClock.Mode(rawValue: clock) else {
            throw ValidationError("--clock must be real or virtual, got \(clock)")
        }
        configuration.clockMode = mode
        configuration.seed = seed
        guard (1...Self.maxTaskTTLSeconds).contains(taskTtl) else {
            throw ValidationError(
                "--task-ttl must be in 1…\(Self.maxTaskTTLSeconds) seconds (ten years), got \(taskTtl)")
        }
        configuration.taskTTLSeconds = taskTtl
        guard maxTasks > 0 else { throw ValidationError("--max-tasks must be positive, got \(maxTasks)") }
        configuration.maxTasksPerTenant = maxTasks
        configuration.publicURL = publicUrl
        configuration.urlSecret = urlSecret
        configuration.imageCacheBytes = try Self.bytes(
            mebibytes: imageCacheMb, option: "--image-cache-mb", minimum: 0)
        configuration.strict = strict
        configuration.connectionTimeoutSeconds = max(1, connectionTimeout)
        guard connectionLimit > 0 else {
            throw ValidationError("--connection-limit must be at least 1, got \(connectionLimit)")
        }
        configuration.connectionLimit = connectionLimit
        configuration.pollThreads = max(0, threads)
        configuration.adminToken = adminToken
        guard journalEntries >= 0 else { throw ValidationError("--journal-entries must be ≥ 0, got \(journalEntries)") }
        configuration.journalEntries = journalEntries
        if let rateLimit {
            if let problem = MockConfiguration.rateLimitProblem(rateLimit, endpointsDirectory: endpoints) {
                throw ValidationError(problem)
            }
            configuration.rateLimit = rateLimit
        }
        guard (1...600_000).contains(webhookTimeoutMs) else {
            throw ValidationError("--webhook-timeout-ms must be in 1…600000 (ten minutes), got \(webhookTimeoutMs)")
        }
        configuration.webhookTimeoutMs = webhookTimeoutMs
        configuration.maxFetchBytes = try Self.bytes(mebibytes: maxFetchMb, option: "--max-fetch-mb", minimum: 1)
        if let s3Endpoint, !s3Endpoint.isEmpty, case .failure(let problem) = OutboundURL.parse(s3Endpoint) {
            // Checked by the parser uploads use, so an endpoint taken here is one they can reach.
            throw ValidationError("--s3-endpoint \(s3Endpoint) is not a usable URL: \(problem)")
        }
        configuration.s3Endpoint = s3Endpoint
        configuration.storageDirectory = storageDir
        configuration.stateDirectory = stateDir
        configuration.modelsFile = models
        configuration.endpointsDirectory = endpoints
        configuration.strictModels = strictModels
        guard creditBalance >= 0, creditBalance <= 1e11 else {
            throw ValidationError("--credit-balance must be in 0…100000000000 USD, got \(creditBalance)")
        }
        configuration.creditBalanceUSD = creditBalance
        let environment = ProcessInfo.processInfo.environment
        configuration.s3AccessKeyID = environment["AWS_ACCESS_KEY_ID"]
        configuration.s3SecretAccessKey = environment["AWS_SECRET_ACCESS_KEY"]
        configuration.s3SessionToken = environment["AWS_SESSION_TOKEN"]
        guard let level = LogLevel(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of debug, info, warning, error, got \(logLevel)")
        }
        configuration.logLevel = level
        guard let format = LogFormat(rawValue: logFormat) else {
            throw ValidationError("--log-format must be text or json, got \(logFormat)")
        }
        configuration.logFormat = format
        if let upstream, !upstream.isEmpty, case .failure(let problem) = OutboundURL.parse(upstream) {
            throw ValidationError("--upstream \(upstream) is not a usable URL: \(problem)")
        }
        if record != nil && upstream == nil { throw ValidationError("--record needs --upstream URL") }
        if record != nil && replay != nil { throw ValidationError("--record and --replay cannot be used together") }
        configuration.upstreamURL = upstream
        configuration.recordDirectory = record
        configuration.replayDirectory = replay
        configuration.replayStrict = replayStrict
        configuration.replayIgnoredFields = replayIgnore.split(separator: ",").map(\.trimmingSpaces).filter {
            !$0.isEmpty
        }
        return configuration
    }

    /// The certificate and key of `--tls-cert`/`--tls-key`, or nil when HTTPS is off.
    func tlsIdentity() throws -> TLSIdentity? {
        guard tlsCert != nil || tlsKey != nil else { return nil }
        guard let tlsCert, let tlsKey else {
            throw ValidationError("--tls-cert and --tls-key go together (novita-mock tls init DIR writes both)")
        }
        guard (0...65535).contains(tlsPort) else {
            throw ValidationError("--tls-port must be in 0…65535, got \(tlsPort)")
        }
        guard let certificate = FileManager.default.contents(atPath: tlsCert) else {
            throw ValidationError("--tls-cert: cannot read \(tlsCert)")
        }
        guard let key = FileManager.default.contents(atPath: tlsKey) else {
            throw ValidationError("--tls-key: cannot read \(tlsKey)")
        }
        let identity = TLSIdentity(
            certificatePEM: String(decoding: certificate, as: UTF8.self),
            privateKeyPEM: String(decoding: key, as: UTF8.self))
        guard identity.certificatePEM.contains("-----BEGIN CERTIFICATE-----") else {
            throw ValidationError("--tls-cert: \(tlsCert) holds no PEM certificate")
        }
        guard identity.privateKeyPEM.contains("PRIVATE KEY-----") else {
            throw ValidationError("--tls-key: \(tlsKey) holds no PEM private key")
        }
        do {
            try IssuedCertificate.checkPair(
                certificatePEM: identity.certificatePEM, privateKeyPEM: identity.privateKeyPEM)
        } catch {
            throw ValidationError("--tls-cert \(tlsCert) and --tls-key \(tlsKey): \(error)")
        }
        return identity
    }

    /// Ten years: longer TTLs are refused rather than overflow the millisecond arithmetic.
    static let maxTaskTTLSeconds = 315_360_000
    /// 1 TiB: larger sizes are refused rather than overflow when turned into bytes.
    static let maxMebibytes = 1 << 20

    /// A size option in MiB as bytes, checked against `minimum` and `maxMebibytes`.
    static func bytes(mebibytes: Int, option: String, minimum: Int, minimumMeaning: String? = nil) throws -> Int {
        guard mebibytes >= minimum, mebibytes <= maxMebibytes else {
            let lower = minimumMeaning.map { "\($0) (\(minimum))" } ?? String(minimum)
            throw ValidationError("\(option) must be in \(lower)…\(maxMebibytes) MiB, got \(mebibytes)")
        }
        return mebibytes * 1024 * 1024
    }

    static func readKeys(_ value: String) throws -> [String] {
        var text = value
        if value.hasPrefix("@") {
            let path = String(value.dropFirst())
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("--api-keys: cannot read \(path)")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        let keys = text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == "\r" })
            .map(\.trimmingSpaces)
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !keys.isEmpty else { throw ValidationError("--api-keys names no key") }
        return keys
    }

    func run() throws {
        let configuration = try makeConfiguration()
        let tls = try tlsIdentity()
        let logger = Logger(level: configuration.logLevel, format: configuration.logFormat)
        let service: MockService
        do {
            service = try MockService(configuration: configuration, logger: logger)
        } catch let error as EndpointDefinitionError {
            logger.error("bad endpoint definition", [("error", "\(error)")])
            throw ExitCode(1)
        } catch {
            logger.error("could not start the service", [("error", "\(error)")])
            throw ExitCode(1)
        }
        var serverConfiguration = HTTPServerConfiguration()
        serverConfiguration.host = configuration.host
        serverConfiguration.port = configuration.port
        serverConfiguration.pollThreads =
            configuration.pollThreads > 0
            ? configuration.pollThreads : max(1, ProcessInfo.processInfo.activeProcessorCount)
        serverConfiguration.maxBodyBytes = configuration.maxBodyBytes
        serverConfiguration.maxBufferedBodyBytes = configuration.maxBufferedBodyBytes
        serverConfiguration.connectionTimeoutSeconds = configuration.connectionTimeoutSeconds
        serverConfiguration.connectionLimit = configuration.connectionLimit
        let server: HTTPServer
        do {
            server = try HTTPServer(
                configuration: serverConfiguration, earlyResponder: service.earlyResponder, handler: service.handle)
        } catch {
            logger.error("could not start the server", [("error", "\(error)")])
            throw ExitCode(1)
        }
        if let faults {
            guard let data = FileManager.default.contents(atPath: faults) else {
                logger.error("--faults: cannot read \(faults)", [])
                throw ExitCode(1)
            }
            do {
                let count = try service.loadFaults(json: Array(data))
                logger.info("fault rules loaded", [("file", faults), ("count", String(count))])
            } catch {
                logger.error("--faults: \(faults) is not a valid list of fault rules", [("error", "\(error)")])
                throw ExitCode(1)
            }
        }
        let secureServer: HTTPServer?
        do {
            secureServer = try tls.map { identity in
                var secure = serverConfiguration
                secure.port = tlsPort
                secure.tls = identity
                return try HTTPServer(
                    configuration: secure, earlyResponder: service.earlyResponder, handler: service.handle)
            }
        } catch {
            logger.error("could not start the HTTPS server", [("error", "\(error)")])
            throw ExitCode(1)
        }
        service.serverDidBind(port: server.port)
        service.start()
        logger.info(
            "novita-mock listening",
            [
                ("host", configuration.host), ("port", String(server.port)),
                ("url", "http://" + MockService.dialableAuthority(host: configuration.host, port: server.port)),
                ("clock", configuration.clockMode.rawValue), ("speed", String(configuration.speed)),
            ])
        if let secureServer {
            logger.info(
                "novita-mock listening (https)",
                [
                    ("host", configuration.host), ("tls_port", String(secureServer.port)),
                    (
                        "url",
                        "https://" + MockService.dialableAuthority(host: configuration.host, port: secureServer.port)
                    ),
                ])
        }
        SignalWaiter.waitForTermination()
        logger.info("draining: no new connections, finishing in-flight requests", [])
        service.beginDraining()
        secureServer?.shutdown(graceSeconds: 10)
        server.shutdown(graceSeconds: 10)
        service.stop(graceMs: 5000)
        logger.info("stopped", [])
    }
}

/// SIGINT and SIGTERM, held from the start and taken synchronously once the server runs.
///
/// They are blocked before any thread exists, so every thread inherits the block and a signal
/// that arrives early (even right after `/__mock/ready` turned 200) stays pending until
/// `waitForTermination` takes it: none is lost, none kills the process without its drain.
enum SignalWaiter {
    static func holdTerminationSignals() {
        var signals = terminationSignals()
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// Blocks until SIGINT or SIGTERM is pending, and takes it.
    static func waitForTermination() {
        var signals = terminationSignals()
        var received: Int32 = 0
        while sigwait(&signals, &received) != 0 {}
    }

    private static func terminationSignals() -> sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        return signals
    }
}
