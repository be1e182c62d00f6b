import MicroHTTP

/// The task-result area: `GET /v3/async/task-result`. A poll reads; it never moves the
/// simulation or starts side effects (docs/architecture.md).
struct TaskResultController: Sendable {
    let store: TaskStore
    let signer: ImageURLSigner
    let finishedResults: FinishedResultCache
    let authenticator: Authenticator

    /// `GET /v3/async/task-result?task_id=…` (docs/contract.md §6).
    func taskResult(_ request: HTTPRequest) -> HTTPReply {
        authenticator.authenticated(request) { tenant in
            guard let id = request.queryValue("task_id"), !id.isEmpty else {
                return .now(
                    APIError.violations([
                        Violation(
                            path: "query task_id", expected: "a task id",
                            actual: request.queryValue("task_id") == nil
                                ? "nothing (the parameter is missing)" : "an empty string")
                    ]).response)
            }
            // A finished task's answer never changes: a key lookup, the tenant and expiry checks,
            // and the response kept for it. The generation is read first, so an entry is never
            // confirmed past a removal its checks did not see.
            let generation = store.removalGeneration
            if let cached = finishedResults.response(for: id), store.isFinished(id: id, tenant: tenant) {
                finishedResults.confirm(id: id, generation: generation)
                return .now(cached)
            }
            guard let snapshot = store.snapshot(id: id, tenant: tenant) else {
                return .now(APIError.taskNotFound(id).response)
            }
            let body = JSONWriter.serialize(TaskResultBody(signer: signer).json(for: snapshot))
            if snapshot.status.isFinished {
                // Stamped so the next polls are answered from the request head (`FinishedPollResponder`).
                let stamp = InlineKey(tenant).flatMap { tenantKey in
                    snapshot.record.finishedAt.map {
                        FinishedResultCache.EarlyStamp(
                            tenant: tenantKey, expiresAtMs: $0 + store.settings.taskTTLMs, generation: generation)
                    }
                }
                return .now(finishedResults.store(body, for: id, stamp: stamp))
            }
            return .now(HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: body))
        }
    }
}
