import Foundation
import NovitaMockTesting
import OutboundHTTP
import Testing

/// The Swift test kit used as another package would: only `NovitaMockTesting` imported, the mock
/// reached over HTTP through the kit's own `request`.
@Suite("NovitaMockTesting")
struct WithNovitaMockTests {
    static let txt2img: [String: any Sendable] = [
        "request": [
            "model_name": "sd_xl_base_1.0.safetensors", "prompt": "a lighthouse", "width": 256, "height": 256,
            "image_num": 1, "steps": 4, "guidance_scale": 7, "sampler_name": "Euler a",
        ] as [String: any Sendable]
    ]

    @Test func aSubmitFinishesAndIsJournaledForThisTest() async throws {
        try await withNovitaMock(testID: "journal") { mock in
            let submitted = try await mock.request(
                "POST", "/v3/async/txt2img", json: Self.txt2img, headers: mock.headers)
            #expect(submitted.status == 200)
            let taskID = try #require(submitted.json?["task_id"] as? String)
            let result = try await mock.request(
                "GET", "/v3/async/task-result?task_id=\(taskID)", headers: mock.headers)
            #expect((result.json?["task"] as? [String: any Sendable])?["status"] as? String == "TASK_STATUS_SUCCEED")
            let paths = try await mock.journal().compactMap { $0["path"] as? String }
            #expect(paths == ["/v3/async/txt2img", "/v3/async/task-result"])
        }
    }

    @Test func aFaultAndAForcedFailureUnderVirtualTime() async throws {
        try await withNovitaMock(testID: "faults", speed: 1) { mock in
            try await mock.freezeClock()
            try await mock.addFault(route: "/v3/async/txt2img", ["status": 503, "times": 1])
            let refused = try await mock.request("POST", "/v3/async/txt2img", json: Self.txt2img, headers: mock.headers)
            #expect(refused.status == 503)
            let accepted = try await mock.request(
                "POST", "/v3/async/txt2img", json: Self.txt2img, headers: mock.headers)
            let taskID = try #require(accepted.json?["task_id"] as? String)
            let pending = try await mock.request(
                "GET", "/v3/async/task-result?task_id=\(taskID)", headers: mock.headers)
            #expect((pending.json?["task"] as? [String: any Sendable])?["status"] as? String != "TASK_STATUS_SUCCEED")
            try await mock.force(taskID: taskID, .fail(reason: "CUDA out of memory"))
            let failed = try await mock.request("GET", "/v3/async/task-result?task_id=\(taskID)", headers: mock.headers)
            #expect((failed.json?["task"] as? [String: any Sendable])?["status"] as? String == "TASK_STATUS_FAILED")
            try await mock.reset()
            #expect(try await mock.journal().isEmpty)
        }
    }

    @Test func theServerStopsWhenTheBodyEnds() async throws {
        let url = try await withNovitaMock { mock in mock.baseURL }
        // Nobody listens there any more: the connection is refused.
        let request = OutboundRequest(method: "GET", url: url.absoluteString + "/__mock/health", timeoutMs: 5000)
        guard case .failure(.connectionFailed) = await OutboundHTTPClient().response(to: request) else {
            Issue.record("the port still answers after withNovitaMock returned")
            return
        }
    }
}
