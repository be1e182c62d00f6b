import MicroHTTP
import Testing

@testable import NovitaMock

@Suite("Routing and authentication")
struct RoutingTests {
    @Test func unknownPathIsAPINotFound() {
        let reply = ServiceHarness().request("GET", "/v3/async/nothing")
        #expect(reply.status == 404)
        #expect(reply.reason == "API_NOT_FOUND")
        #expect(reply.header("Content-Type") == "application/json")
        #expect(reply.object?["code"]?.integerValue == 404)
    }

    @Test func wrongMethodIs405WithAllow() {
        let reply = ServiceHarness().request("GET", "/v3/async/img2img")
        #expect(reply.status == 405)
        #expect(reply.reason == "METHOD_NOT_ALLOWED")
        #expect(reply.header("Allow") == "POST")
        let result = ServiceHarness().request("DELETE", "/v3/async/task-result")
        #expect(result.header("Allow") == "GET")
    }

    @Test func missingKeyIs400() {
        let harness = ServiceHarness()
        let reply = harness.request(
            "POST", "/v3/async/img2img", body: JSONWriter.serialize(Fixtures.body()), authorized: false)
        #expect(reply.status == 400)
        #expect(reply.reason == "MISSING_API_KEY")
        let empty = harness.request(
            "GET", "/v3/async/task-result", query: [("task_id", "x")], headers: [("Authorization", "Bearer ")])
        #expect(empty.reason == "MISSING_API_KEY")
    }

    @Test func bareKeyIsAcceptedAsTheJSSDKSendsIt() throws {
        var harness = ServiceHarness()
        let id = try harness.submitOK(Fixtures.body())
        let reply = harness.request(
            "GET", "/v3/async/task-result", query: [("task_id", id)], headers: [("Authorization", harness.key)],
            authorized: false)
        #expect(reply.status == 200)
        harness.key = "other"
        #expect(harness.result(id).status == 404)
    }

    @Test func configuredKeysRefuseOthersWith403() {
        var harness = ServiceHarness { $0.apiKeys = ["k1", "k2"] }
        harness.key = "k3"
        let reply = harness.submit(Fixtures.body())
        #expect(reply.status == 403)
        #expect(reply.reason == "INVALID_API_KEY")
        harness.key = "k2"
        #expect(harness.submit(Fixtures.body()).status == 200)
    }

    @Test func bodyOverTheLimitIs413() {
        let harness = ServiceHarness()
        let reply = harness.send(.init(method: "POST", path: "/v3/async/img2img", bodyTooLarge: true))
        #expect(reply.status == 413)
        #expect(reply.reason == "REQUEST_ENTITY_TOO_LARGE")
    }

    @Test func bodyPastTheSharedBudgetIs429WithRetryAfter() {
        let harness = ServiceHarness()
        let reply = harness.send(.init(method: "POST", path: "/v3/async/img2img", bodyOverBudget: true))
        #expect(reply.status == 429)
        #expect(reply.reason == "RATE_LIMIT_EXCEEDED")
        #expect(reply.header("Retry-After") == "1")
        #expect(reply.message?.contains("--max-buffered-body-mb") == true)
    }

    @Test func healthAndReady() {
        let harness = ServiceHarness()
        #expect(harness.request("GET", "/__mock/health", authorized: false).object?["status"] == "ok")
        #expect(harness.request("GET", "/__mock/ready", authorized: false).status == 200)
        harness.service.beginDraining()
        #expect(harness.request("GET", "/__mock/ready", authorized: false).status == 503)
    }
}
