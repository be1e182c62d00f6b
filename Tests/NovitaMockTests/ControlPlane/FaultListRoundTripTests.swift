import Testing

@testable import NovitaMock

/// What `GET /__mock/faults` lists must post back, as it is, to `POST /__mock/faults`.
@Suite("Fault list round trip")
struct FaultListRoundTripTests {
    /// Rules of every kind: each effect, each matcher, `times`, `probability` with and without a
    /// seed, and rules whose seed is drawn (about half of drawn seeds have the top bit set).
    static let rules: [JSONValue] =
        [
            ["id": "status", "route": "/v3/async/img2img", "method": "POST", "status": 429, "retry_after_s": 2],
            ["id": "unavailable", "status": 503, "times": 3],
            ["id": "delay", "route": "/v3/async/task-result", "delay_ms": 250, "test_id": "t-1"],
            ["id": "drop", "route": "/faas-output-image/*", "drop_connection": true, "api_key": "tenant-key"],
            ["id": "slow", "slow_body_bytes_per_s": 1000, "probability": 0.5, "seed": 42],
            ["id": "largest-seed", "status": 500, "probability": 0.25, "seed": .number(JSONNumber(Int64.max))],
        ] + (0..<16).map { index in ["id": .string("drawn-\(index)"), "status": 500, "probability": 0.5] }

    @Test func everyListedRulePostsBackAndListsTheSame() throws {
        let harness = ServiceHarness { $0.seed = 7 }
        for rule in Self.rules {
            let reply = harness.request("POST", "/__mock/faults", body: JSONWriter.serialize(rule))
            try #require(reply.status == 201, "\(JSONWriter.string(rule)): \(reply.message ?? "")")
        }
        let listed = try #require(harness.request("GET", "/__mock/faults").object?["faults"]?.arrayValue)
        #expect(listed.count == Self.rules.count)
        // A drawn seed over Int64.max listed as a negative number could not be posted back.
        #expect(listed.contains { ($0.objectValue?["seed"]?.integerValue ?? 0) > Int64(Int32.max) })

        #expect(harness.request("DELETE", "/__mock/faults").status == 200)
        for rule in listed {
            let reply = harness.request("POST", "/__mock/faults", body: JSONWriter.serialize(rule))
            #expect(reply.status == 201, "\(JSONWriter.string(rule)): \(reply.message ?? "")")
        }
        let relisted = try #require(harness.request("GET", "/__mock/faults").object?["faults"]?.arrayValue)
        #expect(relisted.map(JSONWriter.string) == listed.map(JSONWriter.string))
    }
}
