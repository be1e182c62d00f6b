import Testing

@testable import NovitaMock

/// The driver sleeps until the next event, not at most a second: what it plans after a tick.
@Suite("The lifecycle driver sleeps until the next event")
struct LifecycleDriverTests {
    static func plannedSleep(clock: MockClock, next: Int64?) async throws -> Int64?? {
        let driver = LifecycleDriver(clock: clock) { next }
        driver.start()
        defer { driver.stop() }
        while driver.plannedSleepMs == nil { try await Task.sleep(for: .milliseconds(5)) }  // the first tick
        return driver.plannedSleepMs
    }

    @Test func nothingDueMeansSleepingUntilPoked() async throws {
        let sleep = try await Self.plannedSleep(clock: MockClock(mode: .real), next: nil)
        #expect(sleep == .some(nil))
    }

    @Test func aVirtualClockNeverWakesTheDriverByItself() async throws {
        let clock = MockClock(mode: .virtual)
        let sleep = try await Self.plannedSleep(clock: clock, next: clock.nowMs() + 10)
        #expect(sleep == .some(nil))
    }

    @Test func aDistantEventIsSleptUntilInOneGo() async throws {
        let clock = MockClock(mode: .real)
        let sleep = try await Self.plannedSleep(clock: clock, next: clock.nowMs() + 60_000)
        let planned = try #require(sleep ?? nil)
        #expect(planned > 50_000)
    }
}
