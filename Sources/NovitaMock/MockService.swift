import Crypto
import Dispatch
public import MicroHTTP
import Synchronization

/// The whole mock as a function from `HTTPRequest` to `HTTPReply`: routes, validation, tasks,
/// images and the control plane. No sockets here, so most tests call `handle` directly.
public final class MockService: Sendable {
    let configuration: MockConfiguration
    let logger: Logger
    let clock: MockClock
    let random: RandomSource
    let store: TaskStore
    let inputs: InputImageStore
    let images: ImageService
    let signer: ImageURLSigner
    let authenticator: Authenticator
    private let router: Router
    private let phase = Mutex(Phase.starting)
    private let driverRunning = SharedFlag()

    enum Phase: Sendable {
        case starting, ready, draining
    }

    public init(configuration: MockConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        clock = MockClock(mode: configuration.clockMode)
        random = RandomSource(seed: configuration.seed)
        inputs = InputImageStore()
        let settings = TaskStoreSettings(
            workers: max(1, configuration.workers),
            timing: TimingModel(speed: max(0, configuration.speed)),
            taskTTLMs: Int64(configuration.taskTTLSeconds) * 1000,
            maxTasksPerTenant: max(1, configuration.maxTasksPerTenant))
        store = TaskStore(settings: settings, clock: clock, random: random, inputs: inputs)
        images = ImageService(cache: ImageCache(budgetBytes: configuration.imageCacheBytes), inputs: inputs)
        let secret: [UInt8]
        if let given = configuration.urlSecret, !given.isEmpty {
            secret = Array(given.utf8)
        } else {
            secret = (0..<4).flatMap { _ in withUnsafeBytes(of: UInt64.random(in: .min ... .max)) { Array($0) } }
        }
        signer = ImageURLSigner(secret: secret)
        authenticator = Authenticator(apiKeys: configuration.apiKeys)
        router = Self.routes
    }

    private static let routes: Router = {
        var router = Router()
        router.add(.exact("/v3/async/img2img"), [("POST", { $0.submit(.img2img, $1) })])
        router.add(.exact("/v3/async/task-result"), [("GET", { $0.taskResult($1) })])
        router.add(
            .prefix(ImageURLSigner.pathPrefix), [("GET", { $0.downloadImage($1) }), ("HEAD", { $0.downloadImage($1) })])
        router.add(.exact("/__mock/health"), [("GET", { _, _ in .now(.json(["status": "ok"])) })])
        router.add(.exact("/__mock/ready"), [("GET", { $0.readiness($1) })])
        router.add(.exact("/__mock/clock"), [("GET", { $0.clockState($1) }), ("POST", { $0.changeClock($1) })])
        return router
    }()

    /// Answers one request. Never throws, never answers 5xx by accident.
    public func handle(_ request: HTTPRequest) -> HTTPReply {
        if request.bodyTooLarge {
            return .now(APIError.bodyTooLarge(limitBytes: configuration.maxBodyBytes).response)
        }
        switch router.resolve(method: request.method, path: request.path) {
        case .success(let handler):
            return handler(self, request)
        case .failure(let error):
            return .now(error.response)
        }
    }

    // MARK: lifecycle

    /// Marks the service ready and starts the background loop that moves tasks on time.
    public func start() {
        let alreadyRunning = driverRunning.withLock { running in
            defer { running = true }
            return running
        }
        if !alreadyRunning {
            let store = self.store
            let clock = self.clock
            let running = driverRunning
            DispatchQueue(label: "novita-mock.lifecycle").async {
                while running.withLock({ $0 }) {
                    store.advanceToNow()
                    let delay = store.nextEventTime().flatMap { clock.realDelayMs(until: $0) } ?? 1000
                    store.wakeups.wait(milliseconds: min(max(delay, 1), 1000))
                }
            }
        }
        phase.withLock { $0 = .ready }
    }

    /// Stops answering ready (a load balancer drains us) ahead of shutdown.
    public func beginDraining() {
        phase.withLock { $0 = .draining }
    }

    /// Stops the background loop.
    public func stop() {
        driverRunning.withLock { $0 = false }
        store.wakeups.signal()
    }

    var currentPhase: Phase { phase.withLock { $0 } }

    // MARK: helpers shared by handlers

    /// Runs `body` with the tenant of the request, or answers the auth error.
    func authenticated(_ request: HTTPRequest, _ body: (String) -> HTTPReply) -> HTTPReply {
        do {
            return body(try authenticator.tenant(of: request))
        } catch {
            return .now(error.response)
        }
    }

    /// Whether the request's body is declared JSON (parameters such as charset allowed).
    static func isJSON(_ request: HTTPRequest) -> Bool {
        guard let type = request.headers["Content-Type"] else { return false }
        let media = type.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces.lowercased() } ?? ""
        return media == "application/json"
    }

    /// Where image URLs of a task submitted with `request` point.
    func imageBaseURL(for request: HTTPRequest) -> String {
        if let base = configuration.publicURL, !base.isEmpty {
            return base.hasSuffix("/") ? String(base.dropLast()) : base
        }
        let host = request.headers["Host"].map { $0.trimmingSpaces } ?? ""
        let safeHost =
            host.isEmpty || host.contains(where: { $0 == "/" || $0 == " " || $0 == "?" || $0 == "#" || $0 == "@" })
            ? "\(configuration.host == "0.0.0.0" ? "127.0.0.1" : configuration.host):\(configuration.port)" : host
        return "http://\(safeHost)"
    }
}
