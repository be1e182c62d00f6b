import MicroHTTP

/// What the instrumentation step writes for each answer: the metrics (every call) and the
/// journal (API calls), from the call's context and the handler's annotations — never by
/// parsing a body that was just written.
struct RequestRecorder: Sendable {
    let metrics: Metrics
    let journal: RequestJournal
    let clock: MockClock
    let endpoints: EndpointCatalog
    let logger: Logger

    /// The route label of a path that was not routed, for metrics (bounded: never the raw path).
    func routeLabel(_ path: String) -> String {
        // The API's own paths first (what most requests are): one set lookup. None of them starts
        // with the prefixes below.
        if endpoints.serves(path: path) { return path }
        if path.hasPrefix(ImageURLSigner.pathPrefix) { return ImageURLSigner.pathPrefix + "*" }
        if path.hasPrefix(ImageURLSigner.videoPathPrefix) { return ImageURLSigner.videoPathPrefix + "*" }
        if path.hasPrefix("/__mock/tasks/") { return "/__mock/tasks/*" }
        if path.hasPrefix("/__mock/faults/") { return "/__mock/faults/*" }
        if path.hasPrefix(MockService.dashboardPrefix) { return MockService.dashboardPrefix + "*" }
        if path.hasPrefix("/__mock/tenants/") { return "/__mock/tenants/*" }
        if path.hasPrefix(TrainingController.uploadPathPrefix) { return TrainingController.uploadPathPrefix + "*" }
        if path.hasPrefix(CassetteMedia.pathPrefix) { return CassetteMedia.pathPrefix + "*" }
        return Self.controlPlaneRoutes.contains(path) ? path : "unmatched"
    }

    static let controlPlaneRoutes: Set<String> = [
        "/__mock/health", "/__mock/ready", "/__mock/metrics", "/__mock/reset", "/__mock/tasks", "/__mock/requests",
        "/__mock/faults", "/__mock/webhooks", "/__mock/clock", "/__mock/endpoints", "/__mock/openapi.yaml",
        "/__mock/ui", "/__mock/tenants",
    ]

    /// The largest JSON response body the journal keeps.
    static let journaledResponseLimit = 65_536

    func record(_ call: IncomingCall, _ response: HTTPResponse) {
        let request = call.request
        let seconds = Double(MonotonicClock.nanoseconds() &- call.startedNanoseconds) / 1e9
        let status = response.dropConnection ? 0 : response.status
        // Routed calls carry their route's label; the rest (refused before routing, or no route)
        // are labelled from the path.
        let route = call.routeLabel ?? routeLabel(request.path)
        metrics.record(route: route, method: request.method, status: status, seconds: seconds)
        let charged = response.annotations[ResponseAnnotation.chargeCredits].flatMap { Int64($0) }
        if let charged {
            metrics.recordCharge(route: route, credits: charged)
        } else if response.annotations[ResponseAnnotation.reason] == "BILLING_BALANCE_NOT_ENOUGH" {
            metrics.recordBillingRefusal(route: route)
        }
        if (400..<500).contains(status) && logger.logsDebug {
            // Every refusal, control plane included, with its reason; the key redacted.
            logger.debug(
                "request refused",
                [
                    ("method", request.method), ("path", request.path), ("status", String(status)),
                    ("reason", response.annotations[ResponseAnnotation.reason] ?? "-"),
                    ("error_message", response.annotations[ResponseAnnotation.message] ?? "-"),
                    ("api_key", call.apiKey.map(Logger.redact) ?? "-"),
                ])
        }
        guard !call.isControlPlane else { return }
        // The facts as they are; the journal makes JSON of them only when it is read.
        var outcome = JournalOutcome(chargedCredits: charged)
        if status >= 400, let reason = response.annotations[ResponseAnnotation.reason] {
            outcome.reason = reason
            outcome.message = response.annotations[ResponseAnnotation.message]
        } else {
            outcome.taskID = response.annotations[ResponseAnnotation.taskID]
        }
        if charged != nil {
            outcome.creditBalance = response.annotations[ResponseAnnotation.creditBalance].flatMap { Int64($0) }
        }
        let body: JournalBody
        if let summary = response.annotations[ResponseAnnotation.requestSummary] {
            body = .summaryText(summary)
        } else if request.body.isEmpty {
            body = .empty
        } else {
            body = .summary(RequestJournal.summarizeBody(request.body))
        }
        var responseBody: [UInt8] = []
        if case .bytes(let bytes) = response.body, bytes.count <= Self.journaledResponseLimit,
            response.headers["Content-Type"]?.hasPrefix("application/json") == true
        {
            responseBody = bytes
        }
        responseBody.withUnsafeBytes { responseBody in
            journal.append(
                PipelineFacts(
                    method: request.method, path: request.path, apiKey: call.apiKey, testID: call.testID,
                    query: request.query, headers: request.headers),
                responseBody: responseBody, timeMs: clock.nowMs(), status: status, latencyMs: seconds * 1000,
                body: body, outcome: outcome)
        }
    }

    /// Records a `GET` an `EarlyResponder` answered with 200 from the request head, as `record`
    /// would have recorded the pipeline's same answer: metrics under `route`, the journal entry
    /// with the path, key and test id as sent, the body empty, no outcome. `timeMs` is the mock
    /// clock's time the responder read; a JSON `responseBody` is kept (pass none for media).
    func recordEarly(
        query: UnsafeBufferPointer<BorrowedField>, headers: UnsafeBufferPointer<BorrowedField>,
        route: Metrics.EarlyRoute, path: UnsafeRawBufferPointer, apiKey: UnsafeRawBufferPointer?,
        testID: UnsafeRawBufferPointer?, responseBody: UnsafeRawBufferPointer, timeMs: Int64,
        startedNanoseconds: UInt64
    ) {
        let seconds = Double(MonotonicClock.nanoseconds() &- startedNanoseconds) / 1e9
        metrics.recordEarly(route, seconds: seconds)
        let kept =
            responseBody.count <= Self.journaledResponseLimit
            ? responseBody : UnsafeRawBufferPointer(start: nil, count: 0)
        journal.append(
            BorrowedFacts(method: "GET", path: path, apiKey: apiKey, testID: testID, query: query, headers: headers),
            responseBody: kept, timeMs: timeMs, status: 200, latencyMs: seconds * 1000)
    }

    /// What `record` does for a control-plane call answered from the request head: the metrics
    /// only (the journal keeps API calls).
    func recordEarlyControlPlane(route: Metrics.EarlyRoute, startedNanoseconds: UInt64) {
        metrics.recordEarly(route, seconds: Double(MonotonicClock.nanoseconds() &- startedNanoseconds) / 1e9)
    }
}
