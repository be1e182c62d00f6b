import Foundation
import Testing

/// SIGTERM on the real binary at the earliest moment a client could send it.
@Suite("SIGTERM is never lost")
struct ShutdownSignalTests {
    @Test func sigtermRightAfterStartDrainsAndExitsZero() throws {
        for attempt in 0..<10 {
            // MockProcess returns as soon as the listening line is logged: the moment a
            // supervisor polling /__mock/ready could first see 200 and stop the container.
            let mock = try MockProcess(["--speed", "0"])
            kill(mock.process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(15)
            while mock.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if mock.process.isRunning {
                mock.kill9()
                Issue.record("attempt \(attempt): SIGTERM was lost; the server kept running")
                return
            }
            #expect(mock.process.terminationReason == .exit, "attempt \(attempt): killed by the signal, no drain")
            #expect(mock.process.terminationStatus == 0, "attempt \(attempt)")
        }
    }
}
