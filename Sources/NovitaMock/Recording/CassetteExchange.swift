import Digests

/// One recorded exchange with the upstream: a file of a cassette directory (docs/record-replay.md).
///
/// What is stored is what the upstream said, made safe to commit: no header but the body's type
/// (so no key), task ids as the upstream gave them, media URLs replaced by the name of the file
/// under `media/` that holds their bytes (so no signature), long strings of the request body
/// (base64 images) by their SHA-256.
struct CassetteExchange: Sendable {
    /// How an exchange takes part in a task's life.
    enum Role: String, Sendable {
        /// A call on its own (a sync editor, the catalog).
        case call
        /// Its answer named a new task id.
        case submit
        /// It asked about a task (`?task_id=`): one step of the task's recorded lifecycle.
        case poll
    }

    var method: String
    var path: String
    /// Query parameters in the order sent; `task_id` holds the upstream's id.
    var query: [(name: String, value: String)]
    /// The request body as `CassetteExchange.normalizedRequestBody` made it; nil when there was none.
    var requestBody: JSONValue?
    /// The SHA-256 of a body that is not JSON.
    var requestBodyDigest: String?
    var status: Int
    var contentType: String?
    var retryAfter: String?
    /// The response body when it is JSON, media URLs as `cassette-media:<file>`.
    var responseJSON: JSONValue?
    /// Any other response body, base64.
    var responseBase64: String?
    var role: Role
    /// The upstream's task id this exchange belongs to.
    var taskID: String?
    /// Milliseconds between the task's submit and this answer (polls), on the mock's clock.
    var taskOffsetMs: Int64
    /// How long the upstream took to answer.
    var durationMs: Int64
    var recordedAt: String
    /// The file it was read from (replay), named in `X-Mock-Cassette`.
    var file = ""

    static let format = "novita-mock-cassette/1"
    /// How a stored body names a media file of the cassette.
    static let mediaScheme = "cassette-media:"
    /// How a stored body names a media file the upstream sent inline, as base64.
    static let inlineMediaScheme = "cassette-media-base64:"
    /// Request-body strings longer than this are stored as their digest (images in base64).
    static let longStringLimit = 256

    /// The request body as stored and as matched: JSON with long strings replaced by
    /// `sha256:<hex>`, so a cassette stays small and reviewable and still tells images apart.
    static func normalizedRequestBody(_ value: JSONValue) -> JSONValue {
        value.replacingStrings { _, text in
            text.utf8.count > longStringLimit ? "sha256:" + Hex.string(SHA256.hash(Array(text.utf8))) : nil
        }
    }

    /// The file's JSON.
    var json: JSONValue {
        var request: JSONObject = ["method": .string(method), "path": .string(path)]
        if !query.isEmpty {
            request["query"] = .array(query.map { ["name": .string($0.name), "value": .string($0.value)] })
        }
        if let requestBody { request["body"] = requestBody }
        if let requestBodyDigest { request["body_sha256"] = .string(requestBodyDigest) }
        var response: JSONObject = ["status": .number(JSONNumber(status))]
        if let contentType { response["content_type"] = .string(contentType) }
        if let retryAfter { response["retry_after"] = .string(retryAfter) }
        if let responseJSON { response["body"] = responseJSON }
        if let responseBase64 { response["body_base64"] = .string(responseBase64) }
        var object: JSONObject = [
            "format": .string(Self.format), "request": .object(request), "response": .object(response),
        ]
        if let taskID {
            object["task"] = [
                "id": .string(taskID), "role": .string(role.rawValue), "offset_ms": .number(JSONNumber(taskOffsetMs)),
            ]
        }
        object["timing"] = ["duration_ms": .number(JSONNumber(durationMs)), "recorded_at": .string(recordedAt)]
        return .object(object)
    }

    /// Reads a file written by `json`; `file` names it in errors.
    init(json value: JSONValue, file: String) throws(CassetteError) {
        func fail(_ what: String) -> CassetteError { CassetteError(description: "\(file): \(what)") }
        guard let object = value.objectValue, object["format"]?.stringValue == Self.format else {
            throw fail("not a cassette exchange (\"format\" must be \"\(Self.format)\")")
        }
        guard let request = object["request"]?.objectValue, let method = request["method"]?.stringValue,
            let path = request["path"]?.stringValue
        else { throw fail("$.request needs \"method\" and \"path\" strings") }
        guard let response = object["response"]?.objectValue, let status = response["status"]?.integerValue else {
            throw fail("$.response needs an integer \"status\"")
        }
        self.method = method
        self.path = path
        query = (request["query"]?.arrayValue ?? []).compactMap { item in
            guard let name = item.objectValue?["name"]?.stringValue, let value = item.objectValue?["value"]?.stringValue
            else { return nil }
            return (name, value)
        }
        requestBody = request["body"]
        requestBodyDigest = request["body_sha256"]?.stringValue
        self.status = Int(status)
        contentType = response["content_type"]?.stringValue
        retryAfter = response["retry_after"]?.stringValue
        responseJSON = response["body"]
        responseBase64 = response["body_base64"]?.stringValue
        let task = object["task"]?.objectValue
        taskID = task?["id"]?.stringValue
        role = task?["role"]?.stringValue.flatMap(Role.init(rawValue:)) ?? .call
        taskOffsetMs = task?["offset_ms"]?.integerValue ?? 0
        let timing = object["timing"]?.objectValue
        durationMs = timing?["duration_ms"]?.integerValue ?? 0
        recordedAt = timing?["recorded_at"]?.stringValue ?? ""
    }

    init(
        method: String, path: String, query: [(name: String, value: String)], requestBody: JSONValue?,
        requestBodyDigest: String?, status: Int, contentType: String?, retryAfter: String?, responseJSON: JSONValue?,
        responseBase64: String?, role: Role, taskID: String?, taskOffsetMs: Int64, durationMs: Int64,
        recordedAt: String
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.requestBody = requestBody
        self.requestBodyDigest = requestBodyDigest
        self.status = status
        self.contentType = contentType
        self.retryAfter = retryAfter
        self.responseJSON = responseJSON
        self.responseBase64 = responseBase64
        self.role = role
        self.taskID = taskID
        self.taskOffsetMs = taskOffsetMs
        self.durationMs = durationMs
        self.recordedAt = recordedAt
    }

    /// The stable file name of the `sequence`th exchange: `0003-get-v3-async-task-result.json`.
    static func fileName(sequence: Int, method: String, path: String) -> String {
        let slug = path.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
        let trimmed = String(slug).split(separator: "-").joined(separator: "-")
        let number = String(sequence)
        return String(repeating: "0", count: max(0, 4 - number.count)) + number + "-" + method.lowercased() + "-"
            + trimmed + ".json"
    }
}

/// A cassette directory or file that cannot be used: the file and what is wrong.
struct CassetteError: Error, CustomStringConvertible, Sendable {
    let description: String
}
