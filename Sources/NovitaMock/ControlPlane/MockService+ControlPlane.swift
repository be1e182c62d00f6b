import MicroHTTP

extension MockService {
    func metricsText(_ request: HTTPRequest) -> HTTPReply {
        let stats = store.statistics()
        let journalStats = journal.statistics
        let text = metrics.render(
            Metrics.Gauges(
                tasksByStatus: stats.byStatus, queueDepth: stats.queued, running: stats.running,
                imageCacheBytes: images.cache.totalBytes, inputImageBytes: inputs.totalBytes,
                journalEntries: journalStats.count, journalBytes: journalStats.bytes, faultRules: faults.rules.count,
                webhookPending: webhooks.pendingCount))
        return .now(
            HTTPResponse(
                status: 200, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
                body: Array(text.utf8)))
    }

    // MARK: reset

    /// `POST /__mock/reset[?api_key=K]`: drops tasks, journal, faults, webhook log, rate-limit
    /// windows, trainings and uploaded assets, of all tenants or one (docs/contract.md §9).
    func reset(_ request: HTTPRequest) -> HTTPReply {
        let key = request.queryValue("api_key")
        store.reset(tenant: key)
        assets.reset(tenant: key)
        journal.reset(apiKey: key)
        faults.removeAll(apiKey: key)
        webhooks.reset(tenant: key)
        rateLimiter.reset(tenant: key)
        ledger.reset(tenant: key)
        trainings.reset(tenant: key)
        if key == nil { images.cache.removeAll(withPrefix: "") }
        finishedResults.removeAll()
        finishedInspections.removeAll()
        media.prepared.removeAll()
        return .now(.json(["reset": key == nil ? "all" : .string(Logger.redact(key!))]))
    }

    // MARK: tasks

    func taskJSON(_ snapshot: TaskSnapshot) -> JSONValue {
        let record = snapshot.record
        func time(_ ms: Int64?) -> JSONValue { ms.map { .string(HTTPDate.iso8601($0)) } ?? .null }
        return .object([
            "task_id": .string(record.id),
            "api_key": .string(Logger.redact(record.tenant)),
            "task_type": .string(record.parameters.reportedTaskType),
            "status": .string(snapshot.status.rawValue),
            "reason": .string(record.failureReason),
            "progress_percent": .number(JSONNumber(snapshot.progressPercent)),
            "eta": .number(JSONNumber(snapshot.etaSeconds)),
            "seed": .string(String(record.parameters.seed)),
            "submitted_at": time(record.submittedAt),
            "started_at": time(record.startedAt),
            "finished_at": time(record.finishedAt),
            "duration_ms": .number(JSONNumber(record.durationMs)),
            "request": (try? JSONParser.parse(record.requestSummary)) ?? .null,
            "outputs": dashboardOutputs(snapshot),
        ])
    }

    /// `GET /__mock/tasks[?api_key=&status=&limit=&offset=&order=oldest|newest]`: oldest first
    /// unless `order=newest`; `offset` skips that many (paging: the dashboard shows 50 at a time).
    func listTasks(_ request: HTTPRequest) -> HTTPReply {
        let status = request.queryValue("status")
        let newestFirst: Bool
        switch request.queryValue("order") {
        case nil, "oldest": newestFirst = false
        case "newest": newestFirst = true
        case let other?:
            return .now(
                APIError.violations([
                    Violation(path: "query order", expected: "oldest or newest", actual: "\"\(other.prefix(40))\"")
                ]).response)
        }
        var offset = 0
        if let given = request.queryValue("offset") {
            guard let value = Int(given), value >= 0 else {
                return .now(
                    APIError.violations([
                        Violation(
                            path: "query offset", expected: "an integer from 0", actual: "\"\(given.prefix(40))\"")
                    ]).response)
            }
            offset = value
        }
        let limit = request.queryValue("limit").flatMap(Int.init).map { max(1, min($0, 10_000)) } ?? 1000
        var wanted: TaskStatus?
        if let status {
            // An unknown status matches nothing, as it always has.
            guard let known = TaskStatus(rawValue: status) ?? TaskStatus(rawValue: "TASK_STATUS_" + status.uppercased())
            else { return .now(.json(["tasks": [], "total": 0, "offset": .number(JSONNumber(offset))])) }
            wanted = known
        }
        let (tasks, total) = store.page(
            tenant: request.queryValue("api_key"), status: wanted, newestFirst: newestFirst, offset: offset,
            limit: limit)
        return .now(
            .json([
                "tasks": .array(tasks.map(taskJSON)), "total": .number(JSONNumber(total)),
                "offset": .number(JSONNumber(offset)),
            ]))
    }

    /// The segments of a path under `/__mock/tasks/` (empty ones kept), split on its bytes:
    /// splitting by characters, and `String.contains`, had cost half of an inspection's CPU.
    static func taskPathSegments(_ path: String) -> [Substring] {
        path.utf8.dropFirst("/__mock/tasks/".utf8.count)
            .split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map { Substring($0) }
    }

    /// `{id}` or `{id}/{action}`.
    private func taskPath(_ segments: [Substring]) -> (id: String, action: Substring?)? {
        guard let id = segments.first, !id.isEmpty, segments.count <= 2 else { return nil }
        return (String(id), segments.count == 2 ? segments[1] : nil)
    }

    /// `GET /__mock/tasks/{id}` (and `…/{id}/output/{index}`, `taskOutput`).
    func inspectTask(_ request: HTTPRequest) -> HTTPReply {
        let segments = Self.taskPathSegments(request.path)
        if segments.count == 3, segments[1] == "output" { return taskOutput(request, segments: segments) }
        guard let (id, action) = taskPath(segments), action == nil else {
            return .now(APIError.apiNotFound(request.method, request.path).response)
        }
        // A finished task's inspection never changes either: kept like its task-result answer, and
        // stamped the same way, so the next ones are answered from the request head
        // (`InspectionResponder`). The generation is read first, as `TaskResultController` does.
        let generation = store.removalGeneration
        if let cached = finishedInspections.response(for: id), store.isFinished(id: id) {
            finishedInspections.confirm(id: id, generation: generation)
            return .now(cached)
        }
        guard let snapshot = store.snapshot(id: id) else {
            return .now(APIError.taskNotFound(id).response)
        }
        var json = taskJSON(snapshot).objectValue ?? [:]
        json["result"] = TaskResultBody(signer: signer).json(for: snapshot)
        let body = JSONWriter.serialize(.object(json))
        if snapshot.status.isFinished {
            let stamp = snapshot.record.finishedAt.map {
                FinishedResultCache.EarlyStamp(
                    tenant: nil, expiresAtMs: $0 + store.settings.taskTTLMs, generation: generation)
            }
            return .now(finishedInspections.store(body, for: id, stamp: stamp))
        }
        return .now(HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: body))
    }

    /// `POST /__mock/tasks/{id}/complete` and `/fail` (optional `{"reason": "…"}`).
    func forceTask(_ request: HTTPRequest) -> HTTPReply {
        guard let (id, action) = taskPath(Self.taskPathSegments(request.path)), let action,
            action == "complete" || action == "fail"
        else {
            return .now(APIError.apiNotFound(request.method, request.path).response)
        }
        var outcome = PlannedOutcome.succeed
        if action == "fail" {
            var reason = "the task failed (forced by POST /__mock/tasks/{id}/fail)"
            if !request.body.isEmpty {
                let schema = ObjectSchema([FieldRule("reason", .string(minLength: 1, maxLength: 4096))])
                do {
                    let body = try RequestValidator.validate(body: request.body, schema: schema, mode: .strict).body
                    if let given = body["reason"]?.stringValue { reason = given }
                } catch {
                    return .now(error.response)
                }
            }
            outcome = .fail(reason: reason)
        }
        do {
            _ = try store.force(id: id, tenant: request.queryValue("api_key"), outcome: outcome)
        } catch {
            switch error {
            case .notFound:
                return .now(APIError.taskNotFound(id).response)
            case .alreadyFinished(let status):
                return .now(
                    APIError(
                        status: 409, reason: "TASK_ALREADY_FINISHED",
                        message: "task \(id) already finished as \(status.rawValue)",
                        metadata: [("task_id", id), ("status", status.rawValue)]
                    ).response)
            }
        }
        return inspectTask(HTTPRequest(method: "GET", path: "/__mock/tasks/\(id)"))
    }

    // MARK: journal

    /// `GET /__mock/requests[?api_key=&path=&status=&test_id=&limit=]`.
    func listRequests(_ request: HTTPRequest) -> HTTPReply {
        var filter = RequestJournal.Filter()
        filter.apiKey = request.queryValue("api_key")
        filter.path = request.queryValue("path")
        filter.testID = request.queryValue("test_id")
        if let status = request.queryValue("status") {
            guard let code = Int(status) else {
                return .now(
                    APIError.violations([
                        Violation(
                            path: "query status", expected: "an HTTP status code", actual: "\"\(status.prefix(40))\"")
                    ])
                    .response)
            }
            filter.status = code
        }
        if let limit = request.queryValue("limit").flatMap(Int.init) { filter.limit = max(1, min(limit, 100_000)) }
        let (entries, dropped) = journal.entries(matching: filter)
        return .now(
            .json([
                "requests": .array(entries.map { $0.entry.json(sequence: $0.sequence) }),
                "count": .number(JSONNumber(entries.count)),
                "dropped": .number(JSONNumber(dropped)),
            ]))
    }

    func clearRequests(_ request: HTTPRequest) -> HTTPReply {
        journal.reset(apiKey: request.queryValue("api_key"))
        return .now(.json(["cleared": true]))
    }

    // MARK: faults

    /// Validates a rule's JSON form strictly and adds it.
    func addFaultRule(_ object: JSONObject) throws(APIError) -> FaultRule {
        let validated = try RequestValidator.validate(
            body: JSONWriter.serialize(.object(object)), schema: FaultRule.schema, mode: .strict)
        return try faults.add(json: validated.body)
    }

    func addFault(_ request: HTTPRequest) -> HTTPReply {
        do throws(APIError) {
            let validated = try RequestValidator.validate(body: request.body, schema: FaultRule.schema, mode: .strict)
            let rule = try addFaultRule(validated.body)
            return .now(.json(rule.json, status: 201))
        } catch {
            return .now(error.response)
        }
    }

    func listFaults(_ request: HTTPRequest) -> HTTPReply {
        .now(.json(["faults": .array(faults.rules.map(\.json))]))
    }

    func deleteFaults(_ request: HTTPRequest) -> HTTPReply {
        faults.removeAll(apiKey: request.queryValue("api_key"))
        return .now(.json(["deleted": "all"]))
    }

    func deleteFault(_ request: HTTPRequest) -> HTTPReply {
        let id = String(request.path.dropFirst("/__mock/faults/".count))
        guard faults.remove(id: id) else {
            return .now(
                APIError(status: 404, reason: "FAULT_NOT_FOUND", message: "no fault rule with id \(id.prefix(128))")
                    .response)
        }
        return .now(.json(["deleted": .string(id)]))
    }
}
