import Foundation
import Testing

@testable import NovitaMock

/// Not a pass/fail test: prints the resident memory one finished task costs, for BENCHMARKS.md.
/// `MEASURE_TASK_MEMORY=1 swift test -c release --filter TaskMemoryMeasurement`
@Suite("Task memory measurement", .enabled(if: ProcessInfo.processInfo.environment["MEASURE_TASK_MEMORY"] == "1"))
struct TaskMemoryMeasurement {
    static func residentKiB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    @Test func bytesPerFinishedTask() throws {
        let harness = ServiceHarness {
            $0.speed = 0
            $0.maxTasksPerTenant = 200_000
            $0.journalEntries = 0
        }
        let body = JSONWriter.serialize(Fixtures.body(["seed": -1]))
        for _ in 0..<1000 { _ = harness.request("POST", "/v3/async/img2img", body: body) }
        let before = Self.residentKiB()
        let count = 100_000
        for _ in 0..<count {
            let reply = harness.request("POST", "/v3/async/img2img", body: body)
            precondition(reply.status == 200)
        }
        let after = Self.residentKiB()
        let perTask = Double(after - before) * 1024 / Double(count)
        print(
            "task memory: RSS \(before) KiB → \(after) KiB over \(count) finished tasks = \(Int(perTask)) bytes per task"
        )
        #expect(harness.service.store.statistics().stored >= count)
    }
}
