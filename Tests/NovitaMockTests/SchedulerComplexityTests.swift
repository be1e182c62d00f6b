import Testing

@testable import NovitaMock

/// Work counted, not timed: `TaskScheduler.workDone` counts the jobs and heap entries each
/// operation looks at.
@Suite("The scheduler stays O(n log n)")
struct SchedulerComplexityTests {
    static func workToRunAll(count: Int, dedicated: Bool) -> Int {
        var scheduler = TaskScheduler(workers: 4, now: 0)
        for serial in 1...count {
            _ = scheduler.submit(
                TaskScheduler.Job(
                    serial: serial, eligibleAt: Int64(serial % 97), durationMs: 1000 + Int64(serial % 13) * 10,
                    dedicated: dedicated), at: 0)
        }
        let before = scheduler.workDone
        _ = scheduler.advance(to: 10_000_000)
        precondition(scheduler.queuedCount == 0 && scheduler.runningCount == 0)
        return scheduler.workDone - before
    }

    /// One clock advance over 1k and 4k enterprise tasks: quadruple the tasks costs about four
    /// times the work (n log n), not sixteen times (n²).
    @Test(arguments: [true, false])
    func advancingOverManyTasksGrowsNearLinearly(dedicated: Bool) {
        let small = Self.workToRunAll(count: 1000, dedicated: dedicated)
        let large = Self.workToRunAll(count: 4000, dedicated: dedicated)
        #expect(large < 6 * small, "work grew from \(small) to \(large) for 4× the tasks")
    }

    @Test func submittingManyEnterpriseTasksGrowsNearLinearly() {
        func work(_ count: Int) -> Int {
            var scheduler = TaskScheduler(workers: 4, now: 0)
            let before = scheduler.workDone
            for serial in 1...count {
                _ = scheduler.submit(
                    TaskScheduler.Job(serial: serial, eligibleAt: 0, durationMs: 60_000, dedicated: true), at: 0)
            }
            return scheduler.workDone - before
        }
        let small = work(1000)
        let large = work(4000)
        #expect(large < 6 * small, "work grew from \(small) to \(large) for 4× the tasks")
    }
}
