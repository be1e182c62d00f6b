import MicroHTTP
import Testing

@testable import NovitaMock

/// Transparent mode (docs/transparent.md): the `Host` a client named picks the persona, and image
/// URLs point back at a name the client already trusts, over the scheme and port it used.
@Suite("Host personas")
struct HostPersonaTests {
    static func submit(host: String, secure: Bool) -> HTTPRequest {
        var request = HTTPRequest(method: "POST", path: "/v3/async/img2img", headers: ["Host": host])
        request.isSecure = secure
        return request
    }

    @Test(arguments: [
        ("api.novita.ai", HostPersona.api), ("API.Novita.AI:8443", .api), ("assets.novitai.com:443", .assets),
        ("faas-output-image.s3.ap-southeast-1.amazonaws.com", .storage), ("localhost:8080", .mock),
        ("[::1]:8080", .mock), ("novita.ai", .mock), ("api.novita.ai.evil.test", .mock),
    ])
    func theHostHeaderPicksThePersona(host: String, persona: HostPersona) {
        #expect(HostPersona(hostHeader: host) == persona)
    }

    @Test(arguments: [
        ("api.novita.ai", true, "https://faas-output-image.s3.ap-southeast-1.amazonaws.com"),
        ("api.novita.ai:8443", true, "https://faas-output-image.s3.ap-southeast-1.amazonaws.com:8443"),
        ("api.novita.ai:8080", false, "http://faas-output-image.s3.ap-southeast-1.amazonaws.com:8080"),
        ("localhost:8443", true, "https://localhost:8443"),
        ("mock:8080", false, "http://mock:8080"),
    ])
    func imageURLsUseTheStorageNameOnTheSchemeAndPortTheClientUsed(host: String, secure: Bool, base: String) {
        let harness = ServiceHarness()
        #expect(harness.service.imageBaseURL(for: Self.submit(host: host, secure: secure)) == base)
    }

    @Test func publicURLStillWins() {
        let harness = ServiceHarness { $0.publicURL = "http://mock:9000" }
        #expect(
            harness.service.imageBaseURL(for: Self.submit(host: "api.novita.ai", secure: true)) == "http://mock:9000")
    }

    @Test func theStorageHostServesNoAPIAndTheAssetsHostNoV3() {
        let harness = ServiceHarness()
        let query: [(name: String, value: String)] = [(name: "task_id", value: "nope")]
        let storage = harness.send(
            HTTPRequest(
                method: "GET", path: "/v3/async/task-result", query: query,
                headers: ["Host": HostPersona.storageHost, "Authorization": "Bearer k"]))
        #expect(storage.status == 404)
        #expect(storage.reason == "API_NOT_FOUND")
        // What is not the model API (media, uploads, the control plane) answers under every name.
        let health = harness.send(
            HTTPRequest(method: "GET", path: "/__mock/health", headers: ["Host": HostPersona.storageHost]))
        #expect(health.status == 200)
        let assets = harness.send(
            HTTPRequest(
                method: "GET", path: "/v3/async/task-result", query: query,
                headers: ["Host": "assets.novitai.com", "Authorization": "Bearer k"]))
        #expect(assets.status == 404)
        // The API host answers the same request as the API does (the task is unknown, not the route).
        let api = harness.send(
            HTTPRequest(
                method: "GET", path: "/v3/async/task-result", query: query,
                headers: ["Host": "api.novita.ai", "Authorization": "Bearer k"]))
        #expect(api.status != 404 || api.reason != "API_NOT_FOUND")
    }
}
