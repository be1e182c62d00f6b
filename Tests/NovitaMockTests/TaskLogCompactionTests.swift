import Foundation
import Testing

@testable import NovitaMock

@Suite("tasks.log compacts while the server runs")
struct TaskLogCompactionTests {
    static func lines(in directory: String) throws -> [Substring] {
        let text = try String(contentsOfFile: directory + "/tasks.log", encoding: .utf8)
        return text.split(separator: "\n")
    }

    /// Every task submitted, finished and expired leaves three lines; without compaction a long
    /// run grows the file without bound. With it the file stays within a few times the live tasks.
    @Test func aLongRunOfSubmitsAndExpiriesKeepsTheFileBounded() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let harness = ServiceHarness {
            $0.stateDirectory = directory
            $0.speed = 0
            $0.taskTTLSeconds = 1
        }
        defer { harness.service.stop(graceMs: 0) }
        // Each submit is fsync'ed: a small slack shows compaction within a short run.
        try #require(harness.service.store.log).compactionSlackLines = 16
        let body = JSONWriter.serialize(Fixtures.body(["image_base64": nil]))
        func submit() throws -> String {
            let reply = harness.request("POST", "/v3/async/txt2img", body: body)
            try #require(reply.status == 200, "submit failed: \(reply.message ?? "")")
            return try #require(reply.object?["task_id"]?.stringValue)
        }
        var last = ""
        for round in 0..<12 {
            for _ in 0..<20 { last = try submit() }
            harness.advance(round < 11 ? 2000 : 10)  // all but the last round expire
        }
        // 240 tasks submitted, finished and (but 20) expired: 700 lines without compaction.
        let lines = try Self.lines(in: directory)
        #expect(lines.count < 240, "tasks.log holds \(lines.count) lines for 20 live tasks")
        // Still a log that restores exactly the live tasks.
        harness.service.stop(graceMs: 0)
        let (_, restored) = try TaskLog.open(directory: directory)
        #expect(restored.count == 20)
        #expect(restored.contains { $0.id == last })
    }
}
