import Testing

@testable import NovitaMock

@Suite("GET /__mock/tasks/{id} reads one task")
struct TaskInspectionTests {
    @Test func inspectingOneTaskReadsOnlyThatTask() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        var ids: [String] = []
        for _ in 0..<300 { ids.append(try harness.submitOK(Fixtures.body())) }
        let before = harness.service.store.recordsRead
        let reply = harness.request("GET", "/__mock/tasks/\(ids[150])")
        #expect(reply.status == 200)
        #expect(reply.object?["task_id"]?.stringValue == ids[150])
        #expect(harness.service.store.recordsRead - before <= 1)
    }

    @Test func anUnknownTaskIsStill404() {
        let harness = ServiceHarness()
        #expect(harness.request("GET", "/__mock/tasks/nope").status == 404)
    }
}
