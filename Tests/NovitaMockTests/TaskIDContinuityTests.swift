import Foundation
import Testing

@testable import NovitaMock

@Suite("Task ids never collide with stored tasks")
struct TaskIDContinuityTests {
    static func configuration(directory: String) -> (inout MockConfiguration) -> Void {
        { configuration in
            configuration.seed = 42
            configuration.stateDirectory = directory
        }
    }

    /// `--seed` replays the id sequence; after a restart with `--state-dir` the next submit must
    /// not be handed the id of a task the previous process acknowledged.
    @Test func aRestartWithTheSameSeedKeepsAcknowledgedTasks() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ids-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = ServiceHarness(configure: Self.configuration(directory: directory))
        let kept = try first.submitOK(Fixtures.body(["prompt": "the first task"]))
        first.service.stop(graceMs: 0)

        let second = ServiceHarness(configure: Self.configuration(directory: directory))
        defer { second.service.stop(graceMs: 0) }
        let next = try second.submitOK(Fixtures.body(["prompt": "the second task"]))
        #expect(next != kept)
        let record = try #require(second.service.store.record(id: kept))
        #expect(record.parameters.prompt == "the first task")
        #expect(second.service.store.statistics().stored == 2)
    }

    /// The store refuses to hand out an id it holds, whatever the generator says.
    @Test func theStoreSkipsAnIDItAlreadyHolds() throws {
        let first = ServiceHarness { $0.seed = 7 }
        let taken = try first.submitOK(Fixtures.body())
        // A second store on the same seed would draw `taken` first: give it the first task too.
        let second = ServiceHarness { $0.seed = 7 }
        let record = try #require(first.service.store.record(id: taken))
        #expect(second.service.store.restore([record]) == 1)
        let fresh = try second.submitOK(Fixtures.body())
        #expect(fresh != taken)
        #expect(second.service.store.statistics().stored == 2)
    }
}
