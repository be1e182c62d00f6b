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

    /// The route label of a path, for metrics (bounded: never the raw path).
    func routeLabel(_ path: String) -> String {
        if path.hasPrefix(ImageURLSigner.pathPrefix) { return ImageURLSigner.pathPrefix + "*" }
        if path.hasPrefix(ImageURLSigner.videoPathPrefix) { return ImageURLSigner.videoPathPrefix + "*" }
        if path.hasPrefix("/__mock/tasks/") { return "/__mock/tasks/*" }
        if path.hasPrefix("/__mock/faults/") { return "/__mock/faults/*" }
        if path.hasPrefix(MockService.dashboardPrefix) { return MockService.dashboardPrefix + "*" }
        if path.hasPrefix("/__mock/tenants/") { return "/__mock/tenants/*" }
        if path.hasPrefix(TrainingController.uploadPathPrefix) { return TrainingController.uploadPathPrefix + "*" }
        if path.hasPrefix(CassetteMedia.pathPrefix) { return CassetteMedia.pathPrefix + "*" }
        if endpoints.serves(path: path) { return path }
        return Self.controlPlaneRoutes.contains(path) ? path : "unmatched"
    }

    static let controlPlaneRoutes: Set<String> = [
        "/__mock/health", "/__mock/ready", "/__mock/metrics", "/__mock/reset", "/__mock/tasks", "/__mock/requests",
        "/__mock/faults", "/__mock/webhooks", "/__mock/clock", "/__mock/endpoints", "/__mock/openapi.yaml",
        "/__mock/ui", "/__mock/tenants",
    ]

    func record(_ call: IncomingCall, _ response: HTTPResponse) {
        let request = call.request
        let elapsed = ContinuousClock.now - call.started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let status = response.dropConnection ? 0 : response.status
        let route = routeLabel(request.path)
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
        var outcome: JSONValue = .null
        if status >= 400, let reason = response.annotations[ResponseAnnotation.reason] {
            outcome = [
                "reason": .string(reason),
                "message": response.annotations[ResponseAnnotation.message].map(JSONValue.string) ?? .null,
            ]
        } else if let id = response.annotations[ResponseAnnotation.taskID] {
            outcome = ["task_id": .string(id)]
        }
        if let charged, case .object(var fields) = outcome.isNull ? .object([:]) : outcome {
            // docs/contract.md §13.3: the journal shows what each call was charged.
            fields["charged_credits"] = .number(JSONNumber(charged))
            if let balance = response.annotations[ResponseAnnotation.creditBalance].flatMap({ Int64($0) }) {
                fields["credit_balance"] = .number(JSONNumber(balance))
            }
            outcome = .object(fields)
        }
        let body =
            response.annotations[ResponseAnnotation.requestSummary].flatMap { try? JSONParser.parse(Array($0.utf8)) }
            ?? RequestJournal.summarizeBody(request.body)
        let headers = request.headers.fields.map { field -> (name: String, value: String) in
            if field.name.lowercased() == "authorization" {
                return (field.name, call.apiKey.map { "Bearer " + Logger.redact($0) } ?? "<redacted>")
            }
            return (field.name, String(field.value.prefix(512)))
        }
        var entry = JournalEntry(
            timeMs: clock.nowMs(), method: request.method, path: request.path,
            query: request.query, apiKey: call.apiKey, testID: call.testID,
            status: status, latencyMs: seconds * 1000, headers: headers,
            body: body, outcome: outcome)
        if case .bytes(let bytes) = response.body, bytes.count <= 65_536,
            response.headers["Content-Type"]?.hasPrefix("application/json") == true
        {
            entry.responseBody = bytes
        }
        journal.append(entry)
    }
}
