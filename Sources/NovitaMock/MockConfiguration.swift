/// Everything the mock can be told at start (docs/contract.md §10). Only the executable reads flags and the
/// environment; the domain sees this one value.
public struct MockConfiguration: Sendable {
    /// Bind address.
    public var host = "0.0.0.0"
    /// Port; 0 picks a free one.
    public var port = 8080
    /// Valid API keys; nil accepts every non-empty key.
    public var apiKeys: [String]? = nil
    public var maxBodyBytes = 64 * 1024 * 1024
    /// Request body bytes held at once across all requests; more are answered 429 (retry).
    public var maxBufferedBodyBytes = 1024 * 1024 * 1024
    /// Simulated GPU slots.
    public var workers = 4
    /// Divides every modelled duration; 0 is instant.
    public var speed = 1.0
    public var clockMode: MockClock.Mode = .real
    /// Seeds task ids, drawn seeds and fault probabilities so whole runs replay.
    public var seed: UInt64? = nil
    public var taskTTLSeconds = 3600
    public var maxTasksPerTenant = 100_000
    /// Base of image URLs; nil uses `http://` + the submit request's Host.
    public var publicURL: String? = nil
    /// HMAC key of image URLs; nil draws a random one per process.
    public var urlSecret: String? = nil
    public var imageCacheBytes = 256 * 1024 * 1024
    /// Strict validation for every request.
    public var strict = false
    /// HTTP poll threads (0: one per core).
    public var pollThreads = 0
    /// Seconds an idle connection is kept.
    public var connectionTimeoutSeconds = 30
    /// Most simultaneous connections (each is a file descriptor: keep it under `ulimit -n`).
    public var connectionLimit = 4096
    public var adminToken: String? = nil
    /// Entries the request journal keeps.
    public var journalEntries = 1000
    /// Bytes the request journal keeps at most.
    public var journalBytes = 16 * 1024 * 1024
    /// `--rate-limit`, e.g. `img2img=10/min`; nil: no limits.
    public var rateLimit: String? = nil
    /// Milliseconds one webhook delivery attempt may take.
    public var webhookTimeoutMs = 5000
    /// Largest input image fetched by URL (`--max-fetch-mb`).
    public var maxFetchBytes = 30 * 1024 * 1024
    /// S3-compatible endpoint for custom storage; nil writes under `storageDirectory`.
    public var s3Endpoint: String? = nil
    public var storageDirectory = "./mock-storage"
    /// Credentials for `s3Endpoint` (the executable reads AWS_ACCESS_KEY_ID and friends).
    public var s3AccessKeyID: String? = nil
    public var s3SecretAccessKey: String? = nil
    public var s3SessionToken: String? = nil
    /// Endpoint definition files laid over the built-in ones (`--endpoints DIR`, docs/endpoints.md).
    public var endpointsDirectory: String? = nil
    /// A catalog file replacing the built-in one (`--models`).
    public var modelsFile: String? = nil
    /// Model names must be in the catalog, and base models must agree (`--strict-models`).
    public var strictModels = false
    /// Persist tasks, their inputs and the URL secret here (`--state-dir`); nil keeps state in memory.
    public var stateDirectory: String? = nil
    /// Bytes of input images kept in memory before the least recently used spill to disk.
    public var inputMemoryBytes = 256 * 1024 * 1024
    public var logLevel: LogLevel = .info
    public var logFormat: LogFormat = .text
    /// The balance each tenant starts with, in USD (`--credit-balance`).
    public var creditBalanceUSD = 1000.0
    /// The API `--record` forwards to (`--upstream`, e.g. `https://api.novita.ai`).
    public var upstreamURL: String? = nil
    /// Write each forwarded exchange into this cassette directory (`--record`; needs `upstreamURL`).
    public var recordDirectory: String? = nil
    /// Answer matching requests from this cassette directory (`--replay`).
    public var replayDirectory: String? = nil
    /// A request the cassette does not hold is 404 `NOT_RECORDED` instead of emulated.
    public var replayStrict = false
    /// Request fields replay does not compare, at any depth (`--replay-ignore`).
    public var replayIgnoredFields = RequestFingerprint.defaultIgnoredFields

    public init() {}
}

extension MockConfiguration {
    /// Why a `--rate-limit` value is not acceptable, or nil when it is (names of the built-in
    /// endpoints; those of `--endpoints` files are checked when the service starts).
    public static func rateLimitProblem(_ text: String, endpointsDirectory: String? = nil) -> String? {
        do {
            let catalog = try endpointsDirectory.map { try EndpointCatalog.loading(directory: $0) } ?? .builtIn
            _ = try RateLimiter.parse(text, catalog: catalog)
            return nil
        } catch let error as APIError {
            return error.message
        } catch {
            return nil  // a bad definition file: reported by the start itself
        }
    }
}
