import Foundation
import OutboundHTTP
import Testing

@testable import NovitaMock

/// The real binary, started and killed like a user would, with `--state-dir`.
final class MockProcess {
    let process = Process()
    let port: Int
    /// The child's stderr goes to a file, never a pipe: a pipe nobody drains would block it.
    private let logFile: URL

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("novita-mock")
    }

    /// - Parameter environment: added to this process's environment (`NOVITA_MOCK_*` settings).
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("novita-mock-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        process.executableURL = Self.binary
        process.arguments = ["--host", "127.0.0.1", "--port", "0", "--log-level", "info"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardError = log
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while !text.contains("port=") && Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.02)
            text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        }
        guard let range = text.range(of: #"port=(\d+)"#, options: .regularExpression),
            let port = Int(text[range].dropFirst(5))
        else {
            process.terminate()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "server did not start: \(text)"])
        }
        self.port = port
    }

    deinit { try? FileManager.default.removeItem(at: logFile) }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite("--state-dir survives restarts and kill -9")
struct StateDirectoryTests {
    func request(_ port: Int, _ method: String, _ path: String, body: Data? = nil) async throws -> (Int, Data) {
        let response = try await LiveServer.exchange(
            method, path.hasPrefix("http") ? path : "http://127.0.0.1:\(port)\(path)",
            headers: [("Authorization", "Bearer durable"), ("Content-Type", "application/json")], body: body,
            timeoutSeconds: 10)
        return (response.status, Data(response.body))
    }

    @Test func everyAcknowledgedTaskSurvivesSIGKILLUnderLoad() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "novita-state-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try MockProcess(["--state-dir", directory.path, "--speed", "0"])
        let body = try JSONSerialization.data(withJSONObject: LiveFixtures.body(["seed": -1]))

        // One finished task whose image we keep, to compare after the restart.
        let (_, created) = try await request(first.port, "POST", "/v3/async/img2img", body: body)
        let keptID = try #require(
            (try JSONSerialization.jsonObject(with: created) as? [String: Any])?["task_id"] as? String)
        let (_, result) = try await request(first.port, "GET", "/v3/async/task-result?task_id=\(keptID)")
        let resultBody = try #require(try JSONSerialization.jsonObject(with: result) as? [String: Any])
        let imageURL = try #require((resultBody["images"] as? [[String: Any]])?.first?["image_url"] as? String)
        let (_, imageBefore) = try await request(first.port, "GET", imageURL)
        // A balance set through the control plane, for another tenant (docs/contract.md §13.3).
        let (setStatus, _) = try await request(
            first.port, "POST", "/__mock/tenants/other-tenant/balance", body: Data(#"{"credit_balance": 4321}"#.utf8))
        #expect(setStatus == 200)

        // Submit load from 4 clients; kill -9 while it runs.
        let acknowledged = LockedIDs()
        let port = first.port
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<400 {
                            guard let (status, data) = try? await request(port, "POST", "/v3/async/img2img", body: body)
                            else { return }
                            if status == 200,
                                let id = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["task_id"]
                                    as? String
                            {
                                acknowledged.add(id)
                            }
                        }
                    }
                }
            }
        }
        // Kill once the load is well under way (counted, not timed: the machine may be busy).
        let deadline = ContinuousClock.now + .seconds(30)
        while acknowledged.all.count < 40 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        first.kill9()
        await load.value
        let ids = acknowledged.all
        #expect(ids.count >= 40, "the load should have been acknowledged many times before the kill")

        let second = try MockProcess(["--state-dir", directory.path, "--speed", "0"])
        defer { _ = second.terminate() }
        var missing: [String] = []
        for id in ids + [keptID] {
            let (status, _) = try await request(second.port, "GET", "/v3/async/task-result?task_id=\(id)")
            if status != 200 { missing.append(id) }
        }
        #expect(missing.isEmpty, "\(missing.count) of \(ids.count) acknowledged tasks were lost")
        // Same URL (same secret, same completion time), same bytes.
        let (_, again) = try await request(second.port, "GET", "/v3/async/task-result?task_id=\(keptID)")
        let againBody = try #require(try JSONSerialization.jsonObject(with: again) as? [String: Any])
        let urlAgain = try #require((againBody["images"] as? [[String: Any]])?.first?["image_url"] as? String)
        #expect(URL(string: urlAgain)?.path == URL(string: imageURL)?.path)
        #expect(URL(string: urlAgain)?.query == URL(string: imageURL)?.query)
        // The URL names the first process's port (its base is kept with the task); ask the new one.
        let relative = urlAgain.replacingOccurrences(of: "http://127.0.0.1:\(first.port)", with: "")
        let (imageStatus, imageAfter) = try await request(second.port, "GET", relative)
        #expect(imageStatus == 200)
        #expect(imageAfter == imageBefore)

        // Balances survive too: every acknowledged submit was charged (15 credits an image), and
        // at most the 4 submits in flight at the kill besides.
        let (_, user) = try await request(second.port, "GET", "/v3/user")
        let balance = try #require(
            (try JSONSerialization.jsonObject(with: user) as? [String: Any])?["credit_balance"] as? Int)
        let charged = (10_000_000 - balance) / 15
        #expect((10_000_000 - balance) % 15 == 0)
        #expect(
            charged >= ids.count + 1 && charged <= ids.count + 1 + 4, "charged \(charged) for \(ids.count + 1) tasks")
        let (_, other) = try await request(second.port, "GET", "/__mock/tenants/other-tenant/balance")
        #expect((try JSONSerialization.jsonObject(with: other) as? [String: Any])?["credit_balance"] as? Int == 4321)
    }

    @Test func unfinishedTasksResumeAfterARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "novita-state-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try MockProcess(["--state-dir", directory.path])
        let body = try JSONSerialization.data(withJSONObject: LiveFixtures.body())
        let submitted = try await LiveServer.exchange(
            "POST", "http://127.0.0.1:\(first.port)/v3/async/img2img",
            headers: [
                ("Authorization", "Bearer durable"), ("Content-Type", "application/json"),
                ("X-Mock-Duration-Ms", "60000"),
            ], body: body)
        let data = Data(submitted.body)
        let id = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["task_id"] as? String)
        #expect(first.terminate() == 0, "SIGTERM drains and exits 0")

        let second = try MockProcess(["--state-dir", directory.path, "--speed", "1000"])
        defer { _ = second.terminate() }
        let (status, result) = try await self.request(second.port, "GET", "/v3/async/task-result?task_id=\(id)")
        #expect(status == 200)
        let task = try #require(
            (try JSONSerialization.jsonObject(with: result) as? [String: Any])?["task"] as? [String: Any])
        #expect(
            ["TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED"].contains(
                task["status"] as? String ?? ""))
    }
}

final class LockedIDs: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var ids: [String] = []
    func add(_ id: String) { lock.lock(); ids.append(id); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return ids }
}
