import ASCIIText
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
    /// `GET /__mock/tasks/{id}` of finished tasks, kept the same way.
    let finishedInspections = FinishedResultCache()
    let webhooks: WebhookDispatcher
    let objectStore: any ObjectStore
    /// The model catalog of `GET /v3/model` and the name checks.
    let catalog: ModelCatalog
    /// The endpoints served from definitions (built-in and `--endpoints`).
    let endpoints: EndpointCatalog
    let catalogController: CatalogController
    let editors: EditorController
    let thirdParty: ThirdPartyController
    let taskResults: TaskResultController
    let media: MediaController
    let generation: GenerationController
    /// Each tenant's credit balance (docs/contract.md §13.3).
    let ledger: Ledger
    let account: AccountController
    /// Training datasets and trainings (docs/contract.md §13.2).
    let trainings: TrainingStore
    let training: TrainingController
    private let router: Router
    private let pipeline: [any PipelineStep]
    /// Metrics and the journal for every answer (the instrumentation around the pipeline).
    private let recorder: RequestRecorder
    /// Answers finished tasks' polls from the request head, for the server to ask before
    /// `handle`; nil when every poll must go through the pipeline (see `earlyAnswersAllowed`).
    public let earlyResponder: (any EarlyResponder)?
    private let phase = Mutex(Phase.starting)
    private let driver: LifecycleDriver
    let imageBase: ImageBaseURL
    /// The assets host's files (`PUT /image`, `PUT /video`).
    let assets: AssetStore
    let assetsController: AssetsController
    /// The cassette's media under `--record` or `--replay`.
    let cassetteMedia: CassetteMedia?

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
        endpoints = try configuration.endpointsDirectory.map { try EndpointCatalog.loading(directory: $0) } ?? .builtIn
        rateLimiter = RateLimiter(limits: try RateLimiter.parse(configuration.rateLimit ?? "", catalog: endpoints))
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
        trainings = try TrainingStore(
            clock: clock, directory: configuration.stateDirectory.flatMap { $0.isEmpty ? nil : $0 })
        catalogController = CatalogController(catalog: catalog, authenticator: authenticator, trainings: trainings)
        imageBase = ImageBaseURL(
            publicURL: configuration.publicURL, host: configuration.host, port: configuration.port)
        let stateDirectory = configuration.stateDirectory.flatMap { $0.isEmpty ? nil : $0 }
        ledger = try Ledger(startingUSD: configuration.creditBalanceUSD, directory: stateDirectory)
        account = AccountController(authenticator: authenticator, ledger: ledger)
        assets = AssetStore(directory: stateDirectory.map { $0 + "/assets" })
        assetsController = AssetsController(assets: assets, authenticator: authenticator)
        generation = GenerationController(
            store: store, catalog: catalog, authenticator: authenticator, logger: logger, imageBase: imageBase,
            strictModels: configuration.strictModels, speed: max(0, configuration.speed),
            fetcher: InputImageFetcher(maxBytes: max(1, configuration.maxFetchBytes)), assets: assets,
            billing: Billing(ledger: ledger), trainings: trainings)
        media = MediaController(signer: signer, store: store, images: images, clock: clock)
        taskResults = TaskResultController(
            store: store, signer: signer, finishedResults: finishedResults, authenticator: authenticator)
        editors = EditorController(
            authenticator: authenticator, clock: clock, speed: max(0, configuration.speed),
            billing: Billing(ledger: ledger))
        thirdParty = ThirdPartyController(
            store: store, signer: signer, authenticator: authenticator, clock: clock,
            speed: max(0, configuration.speed), imageBase: imageBase,
            fetcher: InputImageFetcher(maxBytes: max(1, configuration.maxFetchBytes)),
            billing: Billing(ledger: ledger))
        training = TrainingController(
            authenticator: authenticator, store: trainings, signer: signer, imageBase: imageBase, clock: clock,
            random: random, speed: max(0, configuration.speed), billing: Billing(ledger: ledger))
        router = Self.router(for: endpoints)
        recorder = RequestRecorder(
            metrics: metrics, journal: journal, clock: clock, endpoints: endpoints, logger: logger)
        let cassette = try Self.cassetteStep(
            configuration: configuration, clock: clock, authenticator: authenticator, imageBase: imageBase,
            logger: logger)
        cassetteMedia = cassette?.media
        let early = EarlyAnswerContext(store: store, clock: clock, faults: faults, recorder: recorder)
        earlyResponder =
            Self.earlyAnswersAllowed(endpoints: endpoints, rateLimiter: rateLimiter, cassette: cassette)
            ? EarlyAnswers(
                polls: FinishedPollResponder(results: finishedResults, context: early),
                media: CachedMediaResponder(index: media.prepared.early, context: early),
                inspections: InspectionResponder(
                    inspections: finishedInspections, context: early,
                    adminTokenRequired: AdminTokenStep(token: configuration.adminToken).token != nil))
            : nil
        pipeline = Self.pipeline(
            configuration: configuration, router: router, faults: faults, rateLimiter: rateLimiter, clock: clock,
            cassette: cassette)
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

    /// The endpoint definitions' routes, then the mock's own: image downloads and the control plane.
    private static func router(for endpoints: EndpointCatalog) -> Router {
        var router = Router()
        for (pattern, handlers) in routes(for: endpoints) { router.add(pattern, handlers) }
        router.add(
            .prefix(ImageURLSigner.pathPrefix),
            [("GET", { $0.media.downloadImage($1) }), ("HEAD", { $0.media.downloadImage($1) })])
        router.add(
            .prefix(ImageURLSigner.videoPathPrefix),
            [("GET", { $0.media.downloadVideo($1) }), ("HEAD", { $0.media.downloadVideo($1) })])
        // The assets host (docs/contract.md §13.1).
        router.add(.exact("/image"), [("PUT", { $0.assetsController.upload($1, kind: .image) })])
        router.add(.exact("/video"), [("PUT", { $0.assetsController.upload($1, kind: .video) })])
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
        router.add(.exact("/__mock/endpoints"), [("GET", { $0.listEndpoints($1) })])
        router.add(.exact("/__mock/openapi.yaml"), [("GET", { $0.openAPIDocument($1) })])
        router.add(.exact("/__mock/ui"), [("GET", { $0.dashboardAsset($1) }), ("HEAD", { $0.dashboardAsset($1) })])
        router.add(
            .prefix(MockService.dashboardPrefix),
            [("GET", { $0.dashboardAsset($1) }), ("HEAD", { $0.dashboardAsset($1) })])
        router.add(.prefix(TrainingController.uploadPathPrefix), [("PUT", { $0.training.receiveUpload($1) })])
        router.add(.exact("/__mock/tenants"), [("GET", { $0.listTenants($1) })])
        router.add(
            .prefix("/__mock/tenants/"), [("GET", { $0.tenantBalance($1) }), ("POST", { $0.setTenantBalance($1) })])
        router.add(
            .prefix(CassetteMedia.pathPrefix),
            [("GET", { $0.serveRecordedMedia($1) }), ("HEAD", { $0.serveRecordedMedia($1) })])
        return router
    }

    /// Answers one request. Never throws, never answers 5xx by accident. Every answer, whichever
    /// step gave it, is counted in the metrics and journaled once its response is known.
    public func handle(_ request: HTTPRequest) -> HTTPReply {
        var call = IncomingCall(request)
        let reply = run(&call, from: 0)
        if case .now(let response) = reply {
            recorder.record(call, response)
            return reply
        }
        return reply.mapResponse { [recorder, call] response in
            recorder.record(call, response)
            return response
        }
    }

    /// Whether finished polls and cached downloads may skip the pipeline: no step of it would
    /// change their answers. A rate limit counts every poll and a cassette records or replays every
    /// call; endpoint definitions may put something else at task-result's path or give it other
    /// parameters. Fault rules come and go, so the responders check those themselves.
    static func earlyAnswersAllowed(endpoints: EndpointCatalog, rateLimiter: RateLimiter, cassette: CassetteStep?)
        -> Bool
    {
        let served = endpoints.definitions.filter { $0.path == FinishedPollResponder.route }
        guard rateLimiter.limits.isEmpty, cassette == nil, served.count == 1, let taskResult = served.first else {
            return false
        }
        return taskResult.method == "GET" && taskResult.mode == .taskResult && taskResult.queryNames == ["task_id"]
    }

    /// The request path after instrumentation, in order (docs/architecture.md): each step goes on,
    /// answers, or wraps the rest; past the last one, the routed handler answers.
    static func pipeline(
        configuration: MockConfiguration, router: Router, faults: FaultInjector, rateLimiter: RateLimiter,
        clock: MockClock, cassette: CassetteStep? = nil
    ) -> [any PipelineStep] {
        let steps: [any PipelineStep] = [
            BodyLimitStep(
                maxBodyBytes: configuration.maxBodyBytes, maxBufferedBodyBytes: configuration.maxBufferedBodyBytes),
            HostPersonaStep(),
            RoutingStep(router: router),
            AdminTokenStep(token: configuration.adminToken),
            FaultStep(faults: faults),
            RateLimitStep(limiter: rateLimiter, clock: clock),
        ]
        return steps + (cassette.map { [$0] } ?? [])
    }

    /// Leaves in `call` what the steps learnt (the route), for the recorder.
    private func run(_ call: inout IncomingCall, from first: Int) -> HTTPReply {
        for index in first..<pipeline.count {
            switch pipeline[index].inspect(&call) {
            case .proceed:
                continue
            case .answer(let reply):
                return reply
            case .wrap(let wrapping):
                let routed = call
                return wrapping { [self] in
                    var rest = routed
                    return run(&rest, from: index + 1)
                }
            }
        }
        return call.handler?(self, call.request)
            ?? .now(APIError.apiNotFound(call.request.method, call.request.path).response)
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
        authenticator.authenticated(request, body)
    }

    /// Whether the request's body is declared JSON (parameters such as charset allowed).
    static func isJSON(_ request: HTTPRequest) -> Bool {
        guard let type = request.headers["Content-Type"] else { return false }
        let media = type.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces.lowercased() } ?? ""
        return media == "application/json"
    }

    /// Where image URLs of a task submitted with `request` point.
    func imageBaseURL(for request: HTTPRequest) -> String {
        imageBase.url(for: request)
    }

    /// Tells the service the port its server listens on: under `--port 0` the kernel picks it,
    /// and image URLs built without a `Host` header must carry that one.
    public func serverDidBind(port: Int) {
        imageBase.didBind(port: port)
    }

    /// `host:port` as a client dials it: a wildcard bind address becomes the loopback address,
    /// an IPv6 address goes in brackets.
    public static func dialableAuthority(host: String, port: Int) -> String {
        let address =
            switch host {
            case "", "0.0.0.0": "127.0.0.1"
            case "::", "[::]": "::1"
            default: host
            }
        return address.contains(":") && !address.hasPrefix("[") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}
