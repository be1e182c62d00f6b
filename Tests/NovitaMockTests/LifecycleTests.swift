import Foundation
import Testing

@testable import NovitaMock

@Suite("Task scheduler state machine")
struct TaskSchedulerTests {
    func job(_ serial: Int, at: Int64 = 0, duration: Int64 = 1000, dedicated: Bool = false) -> TaskScheduler.Job {
        TaskScheduler.Job(serial: serial, eligibleAt: at, durationMs: duration, dedicated: dedicated)
    }

    @Test func threeTasksOnOneWorkerRunInFIFOOrder() {
        var scheduler = TaskScheduler(workers: 1, now: 0)
        #expect(scheduler.submit(job(1), at: 0) == [.started(serial: 1, at: 0)])
        #expect(scheduler.submit(job(2), at: 0) == [])
        #expect(scheduler.submit(job(3), at: 0) == [])
        #expect(scheduler.projectedStart(of: 2) == 1000)
        #expect(scheduler.projectedStart(of: 3) == 2000)
        #expect(scheduler.queuePosition(of: 3) == 1)
        #expect(
            scheduler.advance(to: 2500) == [
                .finished(serial: 1, at: 1000), .started(serial: 2, at: 1000), .finished(serial: 2, at: 2000),
                .started(serial: 3, at: 2000),
            ])
        #expect(scheduler.nextEventTime() == 3000)
    }

    @Test func dedicatedJobsSkipTheSharedQueue() {
        var scheduler = TaskScheduler(workers: 1, now: 0)
        _ = scheduler.submit(job(1, duration: 5000), at: 0)
        _ = scheduler.submit(job(2), at: 0)
        #expect(scheduler.submit(job(3, dedicated: true), at: 0) == [.started(serial: 3, at: 0)])
        #expect(scheduler.advance(to: 1000) == [.finished(serial: 3, at: 1000)])
    }

    @Test func queueDelayHoldsAJobBackWhileLaterOnesPass() {
        var scheduler = TaskScheduler(workers: 1, now: 0)
        _ = scheduler.submit(job(1, at: 500), at: 0)
        #expect(scheduler.submit(job(2, at: 0), at: 0) == [.started(serial: 2, at: 0)])
        #expect(scheduler.advance(to: 1000) == [.finished(serial: 2, at: 1000), .started(serial: 1, at: 1000)])
    }

    @Test func finishingNowFreesTheSlotAtOnce() {
        var scheduler = TaskScheduler(workers: 1, now: 0)
        _ = scheduler.submit(job(1, duration: 10_000), at: 0)
        _ = scheduler.submit(job(2), at: 0)
        #expect(
            scheduler.finishNow(serial: 1, at: 300) == [.finished(serial: 1, at: 300), .started(serial: 2, at: 300)])
        #expect(scheduler.finishNow(serial: 99, at: 400) == [])
    }

    @Test func aQueuedJobCanBeFinishedBeforeItStarts() {
        var scheduler = TaskScheduler(workers: 1, now: 0)
        _ = scheduler.submit(job(1), at: 0)
        _ = scheduler.submit(job(2), at: 0)
        #expect(scheduler.finishNow(serial: 2, at: 10) == [.finished(serial: 2, at: 10)])
        #expect(scheduler.advance(to: 5000) == [.finished(serial: 1, at: 1000)])
    }
}

@Suite("Task lifecycle through the API (virtual clock)")
struct LifecycleTests {
    func task(_ harness: ServiceHarness, _ id: String) -> JSONObject {
        harness.result(id).object?["task"]?.objectValue ?? [:]
    }

    @Test func singleTaskWalksQueuedProcessingSucceed() throws {
        let harness = ServiceHarness()
        let id = try harness.submitOK(Fixtures.body())
        var seen: [String] = []
        var lastProgress = -1
        var lastETA = Int.max
        for _ in 0..<40 {
            let t = task(harness, id)
            let status = t["status"]!.stringValue!
            if seen.last != status { seen.append(status) }
            let progress = Int(t["progress_percent"]!.integerValue!)
            let eta = Int(t["eta"]!.integerValue!)
            #expect(eta >= 0)
            if status == "TASK_STATUS_PROCESSING" {
                #expect((1...99).contains(progress))
                #expect(progress >= lastProgress)
                #expect(eta <= lastETA)
                lastProgress = progress
                lastETA = eta
            }
            if status == "TASK_STATUS_SUCCEED" {
                #expect(progress == 0 && eta == 0)
                break
            }
            harness.advance(100)
        }
        #expect(seen == ["TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED"])
    }

    @Test func defaultProfileFinishesA512TaskInAbout1500ms() throws {
        let harness = ServiceHarness()
        let id = try harness.submitOK(Fixtures.body())
        harness.advance(1600)
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
        let other = try harness.submitOK(Fixtures.body())
        harness.advance(1000)
        #expect(harness.status(other) == "TASK_STATUS_PROCESSING")
    }

    @Test func threeTasksOnOneWorkerShowQueuePositionsInTheirETA() throws {
        let harness = ServiceHarness { $0.workers = 1 }
        let headers = [("X-Mock-Duration-Ms", "10000"), ("X-Mock-Queue-Ms", "0")]
        let ids = try (0..<3).map { _ in try harness.submitOK(Fixtures.body(), headers: headers) }
        #expect(task(harness, ids[0])["status"]?.stringValue == "TASK_STATUS_PROCESSING")
        #expect(task(harness, ids[0])["eta"]?.integerValue == 10)
        #expect(task(harness, ids[1])["status"]?.stringValue == "TASK_STATUS_QUEUED")
        #expect(task(harness, ids[1])["eta"]?.integerValue == 20)
        #expect(task(harness, ids[2])["eta"]?.integerValue == 30)
        harness.advance(10_000)
        #expect(task(harness, ids[0])["status"]?.stringValue == "TASK_STATUS_SUCCEED")
        #expect(task(harness, ids[1])["status"]?.stringValue == "TASK_STATUS_PROCESSING")
        #expect(task(harness, ids[2])["eta"]?.integerValue == 20)
    }

    @Test func enterprisePlanJumpsTheQueue() throws {
        let harness = ServiceHarness { $0.workers = 1 }
        let headers = [("X-Mock-Duration-Ms", "10000"), ("X-Mock-Queue-Ms", "0")]
        let first = try harness.submitOK(Fixtures.body(), headers: headers)
        let second = try harness.submitOK(Fixtures.body(), headers: headers)
        let vip = try harness.submitOK(Fixtures.body(extra: ["enterprise_plan": ["enabled": true]]), headers: headers)
        #expect(harness.status(first) == "TASK_STATUS_PROCESSING")
        #expect(harness.status(second) == "TASK_STATUS_QUEUED")
        #expect(harness.status(vip) == "TASK_STATUS_PROCESSING")
    }

    @Test func forcedFailureCarriesItsReason() throws {
        let harness = ServiceHarness()
        let id = try harness.submitOK(Fixtures.body(), headers: [("X-Mock-Outcome", "fail:GPU out of memory")])
        harness.advance(5000)
        let body = try #require(harness.result(id).object)
        let t = try #require(body["task"]?.objectValue)
        #expect(t["status"]?.stringValue == "TASK_STATUS_FAILED")
        #expect(t["reason"]?.stringValue == "GPU out of memory")
        #expect(body["images"] == [])
        #expect(t["eta"]?.integerValue == 0 && t["progress_percent"]?.integerValue == 0)
        let plain = try harness.submitOK(Fixtures.body(), headers: [("X-Mock-Outcome", "fail")])
        harness.advance(5000)
        #expect(task(harness, plain)["reason"]?.stringValue?.isEmpty == false)
    }

    @Test func badControlHeadersAreRefusedNamingTheHeader() {
        let harness = ServiceHarness()
        let outcome = harness.submit(Fixtures.body(), headers: [("X-Mock-Outcome", "explode")])
        #expect(outcome.status == 400)
        #expect(outcome.metadata["path"] == "header X-Mock-Outcome")
        let duration = harness.submit(Fixtures.body(), headers: [("X-Mock-Duration-Ms", "-5")])
        #expect(duration.metadata["path"] == "header X-Mock-Duration-Ms")
    }

    @Test func durationAndQueueHeadersSetTheTiming() throws {
        let harness = ServiceHarness()
        let id = try harness.submitOK(
            Fixtures.body(), headers: [("X-Mock-Duration-Ms", "3000"), ("X-Mock-Queue-Ms", "2000")])
        harness.advance(1999)
        #expect(harness.status(id) == "TASK_STATUS_QUEUED")
        harness.advance(1)
        #expect(harness.status(id) == "TASK_STATUS_PROCESSING")
        harness.advance(2999)
        #expect(harness.status(id) == "TASK_STATUS_PROCESSING")
        harness.advance(1)
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
    }

    @Test func speedZeroFinishesBeforeTheSubmitAnswers() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let id = try harness.submitOK(Fixtures.body(["image_num": 8, "steps": 100, "width": 2048, "height": 2048]))
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
    }

    @Test func speedDividesDurations() throws {
        let harness = ServiceHarness { $0.speed = 2 }
        let id = try harness.submitOK(Fixtures.body())
        harness.advance(800)
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
    }

    @Test func finishedTasksExpireAfterTheirTTL() throws {
        let harness = ServiceHarness { $0.taskTTLSeconds = 60 }
        let id = try harness.submitOK(
            Fixtures.body(), headers: [("X-Mock-Duration-Ms", "1000"), ("X-Mock-Queue-Ms", "0")])
        harness.advance(1000 + 59_999)
        #expect(harness.status(id) == "TASK_STATUS_SUCCEED")
        harness.advance(1)
        let reply = harness.result(id)
        #expect(reply.status == 404)
        #expect(reply.reason == "TASK_NOT_FOUND")
    }

    @Test func theOldestFinishedTaskIsEvictedAtTheCap() throws {
        let harness = ServiceHarness { $0.maxTasksPerTenant = 3 }
        let fast = [("X-Mock-Duration-Ms", "10"), ("X-Mock-Queue-Ms", "0")]
        let a = try harness.submitOK(Fixtures.body(), headers: fast)
        harness.advance(20)
        let b = try harness.submitOK(Fixtures.body(), headers: fast)
        harness.advance(20)
        let c = try harness.submitOK(Fixtures.body(), headers: fast)
        let d = try harness.submitOK(Fixtures.body(), headers: fast)
        #expect(harness.result(a).status == 404)
        for id in [b, c, d] { #expect(harness.result(id).status == 200) }
    }

    @Test func aTenantFullOfUnfinishedTasksGets429() throws {
        let harness = ServiceHarness { $0.maxTasksPerTenant = 2 }
        let slow = [("X-Mock-Duration-Ms", "100000")]
        _ = try harness.submitOK(Fixtures.body(), headers: slow)
        _ = try harness.submitOK(Fixtures.body(), headers: slow)
        let refused = harness.submit(Fixtures.body(), headers: slow)
        #expect(refused.status == 429)
        #expect(refused.reason == "RATE_LIMIT_EXCEEDED")
        #expect(refused.header("Retry-After") != nil)
        var other = harness
        other.key = "another-tenant"
        #expect(other.submit(Fixtures.body()).status == 200)
    }

    @Test func tasksAreInvisibleToOtherTenants() throws {
        var harness = ServiceHarness()
        let id = try harness.submitOK(Fixtures.body())
        harness.key = "someone-else"
        let reply = harness.result(id)
        #expect(reply.status == 404)
        #expect(reply.reason == "TASK_NOT_FOUND")
        #expect(
            reply.message
                == harness.result("00000000-0000-4000-8000-000000000000").message?
                .replacingOccurrences(of: "00000000-0000-4000-8000-000000000000", with: id))
    }

    @Test func seedIsDrawnWhenMinusOneAndImagesUseSeedPlusIndex() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let id = try harness.submitOK(Fixtures.body(["seed": -1, "image_num": 2]))
        let seed = try #require(harness.result(id).object?["extra"]?.objectValue?["seed"]?.stringValue)
        #expect(UInt32(seed) != nil)
        let fixed = try harness.submitOK(Fixtures.body(["seed": 4_294_967_295, "image_num": 2]))
        #expect(harness.result(fixed).object?["extra"]?.objectValue?["seed"]?.stringValue == "4294967295")
        let record = try #require(harness.service.store.record(id: fixed))
        #expect(record.parameters.seed(ofImage: 1) == 0)
    }

    @Test func sameSeedFlagReplaysIDsAndSeeds() throws {
        func run() throws -> [String] {
            let harness = ServiceHarness {
                $0.seed = 42
                $0.speed = 0
            }
            return try (0..<3).flatMap { _ -> [String] in
                let id = try harness.submitOK(Fixtures.body(["seed": -1]))
                return [id, harness.result(id).object?["extra"]?.objectValue?["seed"]?.stringValue ?? ""]
            }
        }
        let first = try run()
        #expect(first == (try run()))
        #expect(Set(first).count == 6)
    }
}

@Suite("Task-result body shape")
struct TaskResultShapeTests {
    @Test func everyKeyInEveryState() throws {
        let harness = ServiceHarness()
        let id = try harness.submitOK(Fixtures.body(["image_num": 2]))
        for step in 0..<3 {
            let body = try #require(harness.result(id).object)
            #expect(body.keys == ["extra", "task", "images", "videos", "audios"])
            let extra = try #require(body["extra"]?.objectValue)
            #expect(extra["seed"]?.stringValue == "123")
            #expect(extra["enable_nsfw_detection"] == false)
            let debug = try #require(extra["debug_info"]?.objectValue)
            for key in ["submit_time_ms", "execute_time_ms", "complete_time_ms"] {
                #expect(debug[key]?.stringValue != nil)
            }
            let task = try #require(body["task"]?.objectValue)
            #expect(task.keys == ["task_id", "task_type", "status", "reason", "eta", "progress_percent"])
            #expect(task["task_type"]?.stringValue == "IMG_TO_IMG")
            #expect(body["videos"] == [] && body["audios"] == [])
            let images = try #require(body["images"]?.arrayValue)
            if step < 2 {
                #expect(images.isEmpty)
                #expect(debug["complete_time_ms"]?.stringValue == "")
            } else {
                #expect(images.count == 2)
                let first = try #require(images.first?.objectValue)
                #expect(first.keys == ["image_url", "image_url_ttl", "image_type", "nsfw_detection_result"])
                #expect(first["image_url_ttl"]?.stringValue == "3600")
                #expect(first["image_type"]?.stringValue == "png")
                #expect(first["nsfw_detection_result"] == .null)
                #expect(
                    first["image_url"]?.stringValue?.hasPrefix("http://mock.test:8080/faas-output-image/prod/\(id)/")
                        == true)
            }
            harness.advance(step == 0 ? 300 : 5000)
        }
    }

    @Test func missingTaskIDIs400AndUnknownIs404() {
        let harness = ServiceHarness()
        let missing = harness.request("GET", "/v3/async/task-result")
        #expect(missing.status == 400)
        #expect(missing.reason == "INVALID_REQUEST_BODY")
        let unknown = harness.result("nope")
        #expect(unknown.status == 404)
        #expect(unknown.reason == "TASK_NOT_FOUND")
    }
}

@Suite("Bookkeeping stays bounded under steady load")
struct BookkeepingBoundTests {
    @Test func evictedTasksLeaveNoGrowingOrders() throws {
        let harness = ServiceHarness {
            $0.speed = 0
            $0.maxTasksPerTenant = 50
        }
        // 5,000 instant tasks through a cap of 50: 4,950 evictions, none expired by TTL.
        for seed in 0..<5_000 { _ = try harness.submitOK(Fixtures.body(["seed": .number(JSONNumber(seed))])) }
        let sizes = harness.service.store.bookkeepingSizes
        #expect(sizes.tasks == 50)
        #expect(sizes.expiryOrder <= 2 * 50 + 1024, "expiry order holds \(sizes.expiryOrder) entries for 50 tasks")
        #expect(sizes.finishedOrders <= 2 * 50 + 1024, "finished orders hold \(sizes.finishedOrders) for 50 tasks")
    }
}
