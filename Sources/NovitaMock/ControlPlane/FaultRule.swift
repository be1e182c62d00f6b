/// One fault-injection rule (docs/contract.md §9): what it matches and what it does.
struct FaultRule: Sendable {
    var id: String
    /// A path, or a prefix ending in `*`.
    var route: String?
    var method: String?
    var apiKey: String?
    var testID: String?
    /// 429, 500 or 503 in the Novita envelope.
    var status: Int?
    var retryAfterSeconds: Int?
    var delayMs: Int
    var dropConnection: Bool
    var slowBodyBytesPerSecond: Int
    /// Applies this many more times, then is spent; nil: no count.
    var remainingTimes: Int?
    /// Applies with this probability per matching request, drawn from the rule's own seeded
    /// generator (so a seed replays the same sequence).
    var probability: Double?
    var seed: UInt64
    var generator: SplitMix64

    /// The rule table of the JSON form, checked strictly. Every key the listing may show as
    /// null takes null (as absent), so that a listed rule posts back as it is.
    static let schema = ObjectSchema([
        FieldRule("id", .string(minLength: 1, maxLength: 128)),
        FieldRule("route", .string(minLength: 1, maxLength: 1024), nullable: true),
        FieldRule("method", .enumeration(["GET", "POST", "HEAD", "DELETE", "PUT"]), nullable: true),
        FieldRule("api_key", .nonEmptyString, nullable: true),
        FieldRule("test_id", .nonEmptyString, nullable: true),
        FieldRule("status", .integerEnum([429, 500, 503]), nullable: true),
        FieldRule("retry_after_s", .integer(min: 0, max: 86_400), nullable: true),
        FieldRule("delay_ms", .integer(min: 0, max: 600_000)),
        FieldRule("drop_connection", .boolean),
        FieldRule("slow_body_bytes_per_s", .integer(min: 0, max: 1_000_000_000)),
        FieldRule("times", .integer(min: 1, max: 1_000_000_000), nullable: true),
        FieldRule("probability", .number(0, 1), nullable: true),
        FieldRule("seed", .integer(min: 0, max: Int64.max)),
    ])

    /// Builds a rule from its validated JSON form.
    /// - Throws: 400 when the rule has no effect, or both `times` and `probability`.
    init(json object: JSONObject, id defaultID: String, seed defaultSeed: UInt64) throws(APIError) {
        id = object["id"]?.stringValue ?? defaultID
        route = object["route"]?.stringValue
        method = object["method"]?.stringValue
        apiKey = object["api_key"]?.stringValue
        testID = object["test_id"]?.stringValue
        status = object["status"]?.integerValue.map(Int.init)
        retryAfterSeconds = object["retry_after_s"]?.integerValue.map(Int.init)
        delayMs = object["delay_ms"]?.integerValue.map(Int.init) ?? 0
        dropConnection = object["drop_connection"]?.boolValue ?? false
        slowBodyBytesPerSecond = object["slow_body_bytes_per_s"]?.integerValue.map(Int.init) ?? 0
        remainingTimes = object["times"]?.integerValue.map(Int.init)
        probability = object["probability"]?.doubleValue
        // A drawn seed keeps to the schema's 0…Int64.max, so the listing shows it as posted.
        seed = object["seed"]?.integerValue.map(UInt64.init) ?? defaultSeed & UInt64(Int64.max)
        generator = SplitMix64(seed: seed)
        guard status != nil || delayMs > 0 || dropConnection || slowBodyBytesPerSecond > 0 else {
            throw APIError.violations([
                Violation(
                    path: "rule",
                    expected: "at least one effect: status, delay_ms, drop_connection or slow_body_bytes_per_s",
                    actual: "none")
            ])
        }
        if remainingTimes != nil && probability != nil {
            throw APIError.violations([
                Violation(path: "rule.probability", expected: "absent when times is given", actual: "both")
            ])
        }
    }

    func matches(method requestMethod: String, path: String, apiKey key: String?, testID test: String?) -> Bool {
        if let route, !RequestJournal.pathMatches(path, route) { return false }
        if let method, method != requestMethod { return false }
        if let apiKey, apiKey != key { return false }
        if let testID, testID != test { return false }
        return true
    }

    var json: JSONValue {
        func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        func optional(_ value: Int?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        return .object([
            "id": .string(id),
            "route": optional(route),
            "method": optional(method),
            "api_key": apiKey.map { .string(Logger.redact($0)) } ?? .null,
            "test_id": optional(testID),
            "status": optional(status),
            "retry_after_s": optional(retryAfterSeconds),
            "delay_ms": .number(JSONNumber(delayMs)),
            "drop_connection": .bool(dropConnection),
            "slow_body_bytes_per_s": .number(JSONNumber(slowBodyBytesPerSecond)),
            "times": optional(remainingTimes),
            "probability": probability.map { .number(JSONNumber($0)) } ?? .null,
            "seed": .number(JSONNumber(Int64(seed))),
        ])
    }
}
