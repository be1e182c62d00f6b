import Foundation
import Testing

@testable import NovitaMock

@Suite("Custom storage end to end", .motoServer())
struct CustomStorageEndToEndTests {
    func liveWithMoto(_ moto: MotoServer) throws -> LiveServer {
        try LiveServer {
            $0.speed = 50
            $0.s3Endpoint = moto.endpoint
            $0.s3AccessKeyID = moto.credentials.accessKeyID
            $0.s3SecretAccessKey = moto.credentials.secretAccessKey
        }
    }

    @Test func webhookArrivesAndTheS3ObjectIsTheDownloadedImage() async throws {
        let moto = try MotoServer.required()
        let bucket = "novita-e2e-\(UUID().uuidString.lowercased().prefix(8))"
        try moto.createBucket(bucket)
        let receiver = try WebhookReceiver()
        let live = try liveWithMoto(moto)
        let extra: [String: Any] = [
            "response_image_type": "jpeg",
            "webhook": ["url": receiver.url],
            "custom_storage": ["aws_s3": ["region": "us-east-1", "bucket": bucket, "path": "outputs/run-1"]],
        ]
        let reply = try await live.submit(LiveFixtures.body(["image_num": 2], extra: extra))
        let id = try #require(reply.json?["task_id"] as? String)
        let result = try await live.waitFinished(id)
        #expect((result["task"] as? [String: Any])?["status"] as? String == "TASK_STATUS_SUCCEED")
        try await receiver.waitFor(count: 1)
        let event = try #require(receiver.payloads().first)
        #expect(
            ((event["payload"] as? [String: Any])?["task"] as? [String: Any])?["status"] as? String
                == "TASK_STATUS_SUCCEED")

        let urls = try #require((result["images"] as? [[String: Any]])?.compactMap { $0["image_url"] as? String })
        #expect(urls.count == 2)
        for url in urls {
            let downloaded = try await live.send("GET", url, key: nil)
            let file = try #require(URL(string: url)?.lastPathComponent)
            let stored = try moto.getObjectWithBoto3(bucket: bucket, key: "outputs/run-1/\(id)/\(file)")
            #expect(stored.bytes == Array(downloaded.body), "S3 object differs from the served image")
            #expect(stored.contentType == "image/jpeg")
        }
    }

    @Test func saveToPathDirectlyDropsTheTaskFolder() async throws {
        let moto = try MotoServer.required()
        let bucket = "novita-direct-\(UUID().uuidString.lowercased().prefix(8))"
        try moto.createBucket(bucket)
        let live = try liveWithMoto(moto)
        let extra: [String: Any] = [
            "custom_storage": [
                "aws_s3": ["region": "us-east-1", "bucket": bucket, "path": "flat", "save_to_path_directly": true]
            ]
        ]
        let id = try #require(try await live.submit(LiveFixtures.body(extra: extra)).json?["task_id"] as? String)
        let result = try await live.waitFinished(id)
        let url = try #require((result["images"] as? [[String: Any]])?.first?["image_url"] as? String)
        let file = try #require(URL(string: url)?.lastPathComponent)
        let stored = try moto.getObjectWithBoto3(bucket: bucket, key: "flat/\(file)")
        #expect(stored.bytes == Array(try await live.send("GET", url, key: nil).body))
    }

    @Test func aFailedUploadFailsTheTaskWithAReasonThatSaysSo() async throws {
        let moto = try MotoServer.required()
        let receiver = try WebhookReceiver()
        let live = try liveWithMoto(moto)
        let extra: [String: Any] = [
            "webhook": ["url": receiver.url],
            "custom_storage": ["aws_s3": ["region": "us-east-1", "bucket": "no-such-bucket-here", "path": "x"]],
        ]
        let id = try #require(try await live.submit(LiveFixtures.body(extra: extra)).json?["task_id"] as? String)
        let result = try await live.waitFinished(id)
        let task = try #require(result["task"] as? [String: Any])
        #expect(task["status"] as? String == "TASK_STATUS_FAILED")
        let reason = task["reason"] as? String ?? ""
        #expect(reason.contains("custom storage upload failed") && reason.contains("NoSuchBucket"), "\(reason)")
        try await receiver.waitFor(count: 1)
        #expect(
            ((receiver.payloads().first?["payload"] as? [String: Any])?["task"] as? [String: Any])?["status"] as? String
                == "TASK_STATUS_FAILED")
    }
}

@Suite("Custom storage without an endpoint: the storage directory")
struct LocalStorageEndToEndTests {
    @Test func imagesAreWrittenUnderTheStorageDirectory() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("novita-storage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let live = try LiveServer {
            $0.speed = 50
            $0.storageDirectory = root.path
        }
        let extra: [String: Any] = [
            "custom_storage": ["aws_s3": ["region": "eu-west-1", "bucket": "local-bucket", "path": "a/b"]]
        ]
        let id = try #require(try await live.submit(LiveFixtures.body(extra: extra)).json?["task_id"] as? String)
        let result = try await live.waitFinished(id)
        let url = try #require((result["images"] as? [[String: Any]])?.first?["image_url"] as? String)
        let file = try #require(URL(string: url)?.lastPathComponent)
        let stored = try Data(contentsOf: root.appendingPathComponent("local-bucket/a/b/\(id)/\(file)"))
        #expect(stored == (try await live.send("GET", url, key: nil).body))
    }

    @Test func anInstantTaskIsFinishedAndStoredWhenTheSubmitAnswers() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("novita-storage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let live = try LiveServer {
            $0.speed = 0
            $0.storageDirectory = root.path
        }
        let extra: [String: Any] = [
            "custom_storage": ["aws_s3": ["region": "eu-west-1", "bucket": "instant", "path": "out"]]
        ]
        // docs/contract.md §5: at speed 0 the task is finished when the submit answers — upload included.
        let id = try #require(try await live.submit(LiveFixtures.body(extra: extra)).json?["task_id"] as? String)
        let result = try #require(try await live.result(id).json)
        #expect((result["task"] as? [String: Any])?["status"] as? String == "TASK_STATUS_SUCCEED")
        let url = try #require((result["images"] as? [[String: Any]])?.first?["image_url"] as? String)
        let file = try #require(URL(string: url)?.lastPathComponent)
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("instant/out/\(id)/\(file)").path))
    }
}
