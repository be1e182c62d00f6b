import MicroHTTP

/// Every error the API answers, mapped to Novita's envelope in one place (docs/contract.md §3):
/// `{"code": <status>, "reason": "UPPER_SNAKE", "message": "…", "metadata": {string: string}}`.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public let status: Int
    public let reason: String
    public let message: String

    public var description: String { "\(reason): \(message)" }
    /// String → string only: the JS SDK types it that way.
    var metadata: [(String, String)] = []
    var headers: HTTPHeaders = [:]

    init(status: Int, reason: String, message: String, metadata: [(String, String)] = []) {
        self.status = status
        self.reason = reason
        self.message = message
        self.metadata = metadata
    }

    var body: JSONValue {
        .object([
            "code": .number(JSONNumber(status)),
            "reason": .string(reason),
            "message": .string(message),
            "metadata": .object(JSONObject(metadata.map { ($0.0, JSONValue.string($0.1)) })),
        ])
    }

    var response: HTTPResponse {
        var response = HTTPResponse.json(body, status: status)
        for field in headers { response.headers.add(field.name, field.value) }
        response.annotations = [ResponseAnnotation.reason: reason, ResponseAnnotation.message: message]
        return response
    }

    static func invalidBody(_ message: String, metadata: [(String, String)] = []) -> APIError {
        APIError(status: 400, reason: "INVALID_REQUEST_BODY", message: message, metadata: metadata)
    }

    static let missingAPIKey = APIError(
        status: 400, reason: "MISSING_API_KEY",
        message: "missing API key: send the header 'Authorization: Bearer <key>'")

    static let invalidAPIKey = APIError(
        status: 403, reason: "INVALID_API_KEY", message: "the API key is not valid for this server")

    static func taskNotFound(_ id: String) -> APIError {
        APIError(
            status: 404, reason: "TASK_NOT_FOUND", message: "task \(id.prefix(80)) was not found",
            metadata: [("task_id", String(id.prefix(80)))])
    }

    static func apiNotFound(_ method: String, _ path: String) -> APIError {
        APIError(
            status: 404, reason: "API_NOT_FOUND",
            message: "no API at \(method) \(path.prefix(200))")
    }

    static func methodNotAllowed(_ method: String, path: String, allowed: [String]) -> APIError {
        var error = APIError(
            status: 405, reason: "METHOD_NOT_ALLOWED",
            message: "\(method) is not allowed on \(path); allowed: \(allowed.joined(separator: ", "))",
            metadata: [("allow", allowed.joined(separator: ", "))])
        error.headers.set("Allow", allowed.joined(separator: ", "))
        return error
    }

    static func bodyTooLarge(limitBytes: Int) -> APIError {
        var error = APIError(
            status: 413, reason: "REQUEST_ENTITY_TOO_LARGE",
            message: "request body is larger than the limit of \(limitBytes) bytes",
            metadata: [("limit_bytes", String(limitBytes))])
        error.headers.set("Connection", "close")
        return error
    }

    /// The server already holds its budget of request bodies (`--max-buffered-body-mb`): a
    /// mock-side protection, answered like a rate limit so clients back off and retry.
    static func uploadsOverBudget(budgetBytes: Int) -> APIError {
        rateLimited(
            "the mock is already holding its limit of \(budgetBytes / (1024 * 1024)) MiB of request bodies in flight "
                + "(--max-buffered-body-mb); retry shortly",
            retryAfterSeconds: 1)
    }

    static func rateLimited(_ message: String, retryAfterSeconds: Int) -> APIError {
        var error = APIError(
            status: 429, reason: "RATE_LIMIT_EXCEEDED", message: message,
            metadata: [("retry_after_s", String(retryAfterSeconds))])
        error.headers.set("Retry-After", String(retryAfterSeconds))
        return error
    }

    static let unauthorized = APIError(
        status: 401, reason: "UNAUTHORIZED",
        message: "the control plane needs 'Authorization: Bearer <admin token>'")
}

extension HTTPResponse {
    /// A JSON response with `Content-Type: application/json`.
    static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: ["Content-Type": "application/json"], body: JSONWriter.serialize(value))
    }
}

extension APIError {
    /// The mock's own CPU work queue is full: back off, as from a rate limit.
    static func workQueueFull(retryAfterSeconds: Int = 1) -> APIError {
        rateLimited(
            "the mock's work queue is full (\(BlockingWorkPool.cpuQueueLimit) jobs wait); retry in \(retryAfterSeconds) s",
            retryAfterSeconds: retryAfterSeconds)
    }
}

/// The keys of `HTTPResponse.annotations` the journal reads.
enum ResponseAnnotation {
    static let reason = "reason"
    static let message = "message"
    static let taskID = "task_id"
    /// The request body as the journal keeps it (JSON, images elided), when a handler has it.
    static let requestSummary = "request_summary"
    /// Credits (0.0001 USD) an accepted call was charged, and the balance after it.
    static let chargeCredits = "charge_credits"
    static let creditBalance = "credit_balance"
}
