import Dispatch
public import MicroHTTP
import OutboundHTTP
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
    let journal: RequestJournal
    let faults: FaultInjector
    let rateLimiter: RateLimiter
    let metrics = Metrics()
    let finishedResults = FinishedResultCache()
    let webhooks: WebhookDispatcher
    let objectStore: any ObjectStore
    /// The model catalog of `GET /v3/model` and the name checks.
    let catalog: ModelCatalog
    private let router: Router
    private let phase = Mutex(Phase.starting)
    private let driver: LifecycleDriver

    enum Phase: Sendable {
        case starting, ready, draining
    }

    /// Builds the service; with a state directory, reads the tasks and the URL secret it holds.
    /// - Throws: when the state directory cannot be created, read or written.
    public init(configuration: MockConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        clock = MockClock(mode: configuration.clockMode)
        random = RandomSource(seed: configuration.seed)
        var log: TaskLog?
        var restored: [TaskRecord] = []
        if let directory = configuration.stateDirectory, !directory.isEmpty {
            try FileIO.makeDirectory(directory)
            (log, restored) = try TaskLog.open(directory: directory)
            random.resume(afterDraws: log?.randomDrawsAtOpen ?? 0)
            inputs = InputImageStore(
                memoryBudget: configuration.inputMemoryBytes, directory: directory + "/inputs", durable: true)
        } else {
            inputs = InputImageStore(
                memoryBudget: configuration.inputMemoryBytes,
                directory: "/tmp/novita-mock-inputs-\(UInt64.random(in: 0 ... .max))")
        }
        let settings = TaskStoreSettings(
            workers: max(1, configuration.workers),
            timing: TimingModel(speed: max(0, configuration.speed)),
            taskTTLMs: Int64(configuration.taskTTLSeconds) * 1000,
            maxTasksPerTenant: max(1, configuration.maxTasksPerTenant))
        store = TaskStore(settings: settings, clock: clock, random: random, inputs: inputs, log: log)
        images = ImageService(cache: ImageCache(budgetBytes: configuration.imageCacheBytes), inputs: inputs)
        let secret: [UInt8]
        if let given = configuration.urlSecret, !given.isEmpty {
            secret = Array(given.utf8)
        } else if let directory = configuration.stateDirectory, !directory.isEmpty {
            secret = try Self.persistedSecret(in: directory)
        } else {
            secret = Self.randomSecret()
        }
        signer = ImageURLSigner(secret: secret)
        authenticator = Authenticator(apiKeys: configuration.apiKeys)
        journal = RequestJournal(maxEntries: configuration.journalEntries, maxBytes: configuration.journalBytes)
        faults = FaultInjector(random: random)
        rateLimiter = RateLimiter(limits: (try? RateLimiter.parse(configuration.rateLimit ?? "")) ?? [])
        let client = OutboundHTTPClient()
        webhooks = WebhookDispatcher(
            client: client, clock: clock, timeoutMs: configuration.webhookTimeoutMs, metrics: metrics, logger: logger,
            wakeups: store.wakeups)
        if let endpoint = configuration.s3Endpoint, !endpoint.isEmpty {
            objectStore = S3ObjectStore(
                endpoint: endpoint,
                credentials: S3Credentials(
                    accessKeyID: configuration.s3AccessKeyID ?? "",
                    secretAccessKey: configuration.s3SecretAccessKey ?? "",
                    sessionToken: configuration.s3SessionToken), client: client, timeoutMs: 30_000)
        } else {
            objectStore = LocalObjectStore(root: configuration.storageDirectory)
        }
        catalog = try configuration.modelsFile.map { try ModelCatalog(bytes: try FileIO.read($0)) } ?? .builtIn
        router = Self.routes
        let (store, webhooks) = (self.store, self.webhooks)
        // The one place side effects start: finished tasks' uploads and webhooks, retries.
        driver = LifecycleDriver(clock: clock) {
            store.advanceToNow()
            store.deliverFinished()
            webhooks.runDue()
            try? store.log?.flush()
            try? store.compactLogIfNeeded()
            return [store.nextEventTime(), webhooks.nextDueTime()].compactMap { $0 }.min()
        }
        // Weakly: the driver's tick holds the store, so a strong reference back would keep both
        // (and the driver's timer) alive after the service is gone.
        store.wakeups.onSignal { [weak driver] in driver?.poke() }
        store.onFinished { [weak self] records in self?.tasksFinished(records) }
        if !restored.isEmpty {
            let count = store.restore(restored)
            logger.info(
                "state restored", [("tasks", String(count)), ("state_dir", configuration.stateDirectory ?? "")])
        }
    }

    static func randomSecret() -> [UInt8] {
        (0..<4).flatMap { _ in withUnsafeBytes(of: UInt64.random(in: .min ... .max)) { Array($0) } }
    }

    /// The URL secret kept in the state dir, so image URLs stay valid across restarts.
    static func persistedSecret(in directory: String) throws -> [UInt8] {
        let path = directory + "/url-secret"
        if FileIO.exists(path) {
            let bytes = try FileIO.read(path)
            if bytes.count >= 16 { return bytes }
        }
        let secret = randomSecret()
        try FileIO.writeAtomically(secret, to: path)
        return secret
    }

    private static let routes: Router = {
        var router = Router()
        router.add(.exact("/v3/async/img2img"), [("POST", { $0.submit(.img2img, $1) })])
        router.add(.exact("/v3/async/txt2img"), [("POST", { $0.submit(.txt2img, $1) })])
        router.add(.exact("/v3/async/upscale"), [("POST", { $0.submit(.upscale, $1) })])
        router.add(.exact("/v3/async/task-result"), [("GET", { $0.taskResult($1) })])
        router.add(.exact("/v3/model"), [("GET", { $0.listModels($1) })])
        router.add(
            .prefix(ImageURLSigner.pathPrefix), [("GET", { $0.downloadImage($1) }), ("HEAD", { $0.downloadImage($1) })])
        router.add(.exact("/__mock/health"), [("GET", { _, _ in .now(.json(["status": "ok"])) })])
        router.add(.exact("/__mock/ready"), [("GET", { $0.readiness($1) })])
        router.add(.exact("/__mock/clock"), [("GET", { $0.clockState($1) }), ("POST", { $0.changeClock($1) })])
        router.add(.exact("/__mock/metrics"), [("GET", { $0.metricsText($1) })])
        router.add(.exact("/__mock/reset"), [("POST", { $0.reset($1) })])
        router.add(.exact("/__mock/tasks"), [("GET", { $0.listTasks($1) })])
        router.add(.prefix("/__mock/tasks/"), [("GET", { $0.inspectTask($1) }), ("POST", { $0.forceTask($1) })])
        router.add(
            .exact("/__mock/requests"), [("GET", { $0.listRequests($1) }), ("DELETE", { $0.clearRequests($1) })])
        router.add(
            .exact("/__mock/faults"),
            [("GET", { $0.listFaults($1) }), ("POST", { $0.addFault($1) }), ("DELETE", { $0.deleteFaults($1) })])
        router.add(.prefix("/__mock/faults/"), [("DELETE", { $0.deleteFault($1) })])
        router.add(.exact("/__mock/webhooks"), [("GET", { $0.listWebhookAttempts($1) })])
        return router
    }()

    /// Answers one request. Never throws, never answers 5xx by accident.
    public func handle(_ request: HTTPRequest) -> HTTPReply {
        let started = ContinuousClock.now
        let reply = dispatch(request)
        return instrument(reply, request: request, started: started)
    }

    /// Resolves a route, then applies the control plane's admin token, or the faults and rate
    /// limits that apply to API routes.
    private func dispatch(_ request: HTTPRequest) -> HTTPReply {
        if request.bodyTooLarge {
            return .now(APIError.bodyTooLarge(limitBytes: configuration.maxBodyBytes).response)
        }
        if request.bodyOverBudget {
            return .now(APIError.uploadsOverBudget(budgetBytes: configuration.maxBufferedBodyBytes).response)
        }
        let handler: RouteHandler
        switch router.resolve(method: request.method, path: request.path) {
        case .success(let resolved): handler = resolved
        case .failure(let error): return .now(error.response)
        }
        if Self.isControlPlane(request.path) {
            if let token = configuration.adminToken, !token.isEmpty,
                request.path != "/__mock/health" && request.path != "/__mock/ready"
            {
                let given = Authenticator.key(from: request).map { Array($0.utf8) } ?? []
                guard ImageURLSigner.constantTimeEqual(given, Array(token.utf8)) else {
                    return .now(APIError.unauthorized.response)
                }
            }
            return handler(self, request)
        }
        let key = Authenticator.key(from: request)
        if let effect = faults.effect(
            method: request.method, path: request.path, apiKey: key, testID: request.headers["X-Test-Id"])
        {
            return apply(effect) { handler(self, request) }
        }
        if let key, let wait = rateLimiter.admit(path: request.path, tenant: key, now: clock.nowMs()) {
            return .now(
                APIError.rateLimited(
                    "rate limit exceeded for \(request.path); retry in \(wait) s", retryAfterSeconds: wait
                )
                .response)
        }
        return handler(self, request)
    }

    static func isControlPlane(_ path: String) -> Bool { path.hasPrefix("/__mock/") }

    /// The reply a fault turns a request into.
    private func apply(_ effect: FaultEffect, handler: @escaping @Sendable () -> HTTPReply) -> HTTPReply {
        let base: HTTPReply
        if effect.dropConnection {
            base = .now(.drop)
        } else if let status = effect.status {
            var error: APIError
            switch status {
            case 429:
                error = .rateLimited(
                    "rate limit exceeded (injected by fault \(effect.ruleID))",
                    retryAfterSeconds: effect.retryAfterSeconds ?? 1)
            case 503:
                error = APIError(
                    status: 503, reason: "SERVICE_UNAVAILABLE",
                    message: "service unavailable (injected by fault \(effect.ruleID))")
                if let retry = effect.retryAfterSeconds { error.headers.set("Retry-After", String(retry)) }
            default:
                error = APIError(
                    status: 500, reason: "INTERNAL_ERROR",
                    message: "internal error (injected by fault \(effect.ruleID))")
            }
            error.metadata.append(("fault_id", effect.ruleID))
            base = .now(error.response)
        } else if effect.delayMs > 0 {
            // The handler runs after the delay, so a delayed submit creates its task late.
            base = .later { Self.resolveNow(handler()) }
        } else {
            base = handler()
        }
        let slowed = effect.slowBodyBytesPerSecond > 0 ? Self.slowing(base, to: effect.slowBodyBytesPerSecond) : base
        return effect.delayMs > 0 ? .after(milliseconds: effect.delayMs, slowed) : slowed
    }

    private static func slowing(_ reply: HTTPReply, to rate: Int) -> HTTPReply {
        switch reply {
        case .now(var response):
            response.bodyBytesPerSecond = rate
            return .now(response)
        case .later(let work):
            return .later {
                var response = work()
                response.bodyBytesPerSecond = rate
                return response
            }
        case .after(let ms, let next):
            return .after(milliseconds: ms, slowing(next, to: rate))
        }
    }

    /// Runs a handler's reply to completion on the current (background) thread.
    static func resolveNow(_ reply: HTTPReply) -> HTTPResponse {
        switch reply {
        case .now(let response): return response
        case .later(let work): return work()
        case .after(_, let next): return resolveNow(next)
        }
    }

    /// Wraps a reply so that, when its response is known, it is counted and journaled.
    private func instrument(_ reply: HTTPReply, request: HTTPRequest, started: ContinuousClock.Instant) -> HTTPReply {
        switch reply {
        case .now(let response):
            record(request, response, started: started)
            return reply
        case .later(let work):
            return .later { [self] in
                let response = work()
                record(request, response, started: started)
                return response
            }
        case .after(let ms, let next):
            return .after(milliseconds: ms, instrument(next, request: request, started: started))
        }
    }

    // MARK: lifecycle

    /// Loads fault rules (a JSON array of rule objects, as `POST /__mock/faults` takes them).
    /// - Returns: how many were loaded.
    public func loadFaults(json: [UInt8]) throws -> Int {
        guard case .array(let items) = try JSONParser.parse(json) else {
            throw APIError.invalidBody("--faults: the file must hold a JSON array of fault rules")
        }
        for (index, item) in items.enumerated() {
            guard let object = item.objectValue else {
                throw APIError.invalidBody("--faults: rule \(index) is not an object")
            }
            _ = try addFaultRule(object)
        }
        return items.count
    }

    /// Marks the service ready and starts moving tasks on time.
    public func start() {
        driver.start()
        phase.withLock { $0 = .ready }
    }

    /// Stops answering ready (a load balancer drains us) ahead of shutdown.
    public func beginDraining() {
        phase.withLock { $0 = .draining }
    }

    /// Stops the background loop, giving webhook deliveries in flight up to `graceMs` to end
    /// (waiting retries are recorded as abandoned).
    public func stop(graceMs: Int = 5000) {
        driver.stop()
        webhooks.drain(graceMs: graceMs)
        try? store.log?.flush(until: Int.max)
        inputs.removeSpilledFiles()
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
