import MicroHTTP

extension MockService {
    /// `GET /__mock/ready`: 200 once loaded, 503 before and while draining.
    func readiness(_ request: HTTPRequest) -> HTTPReply {
        switch currentPhase {
        case .ready: .now(.json(["status": "ready"]))
        case .starting: .now(APIError(status: 503, reason: "SERVICE_UNAVAILABLE", message: "starting").response)
        case .draining: .now(APIError(status: 503, reason: "SERVICE_UNAVAILABLE", message: "draining").response)
        }
    }

    func clockJSON() -> JSONValue {
        let now = clock.nowMs()
        return .object([
            "mode": .string(clock.mode.rawValue),
            "now_ms": .number(JSONNumber(now)),
            "now": .string(HTTPDate.iso8601(now)),
            "scale": .number(JSONNumber(clock.scale)),
        ])
    }

    func clockState(_ request: HTTPRequest) -> HTTPReply {
        .now(.json(clockJSON()))
    }

    /// `POST /__mock/clock` with `{"advance_ms": n}`, `{"mode": "real"|"virtual"}` and/or
    /// `{"scale": x}`: tasks move at once to the new time; their webhooks and uploads, and due
    /// retries, start on the lifecycle driver, which this wakes.
    func changeClock(_ request: HTTPRequest) -> HTTPReply {
        let schema = ObjectSchema([
            FieldRule("advance_ms", .integer(min: 0, max: 31_536_000_000)),
            FieldRule("mode", .enumeration(MockClock.Mode.allCases.map(\.rawValue))),
            FieldRule("scale", .number(min: 0, max: 1000, minExclusive: true)),
        ])
        let body: JSONObject
        do {
            body = try RequestValidator.validate(body: request.body, schema: schema, mode: .strict).body
        } catch {
            return .now(error.response)
        }
        if let mode = body["mode"]?.stringValue.flatMap(MockClock.Mode.init(rawValue:)) { clock.setMode(mode) }
        if let scale = body["scale"]?.doubleValue { clock.setScale(scale) }
        if let advance = body["advance_ms"]?.integerValue { clock.advance(milliseconds: advance) }
        store.advanceToNow()
        store.wakeups.signal()
        return .now(.json(clockJSON()))
    }
}
