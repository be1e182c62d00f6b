import Foundation
import MicroHTTP
import Testing

@testable import NovitaMock

/// docs/contract.md §13.2: dataset uploads, subject and style trainings on the mock's clock, and
/// the trained LoRA in the tenant's catalog and its txt2img requests.
@Suite("Training: datasets, lifecycle, the trained LoRA")
struct TrainingTests {
    static let checkpoint = "dreamshaper_8_93211.safetensors"

    /// A slot, and the PNG put to its signed URL; returns the assets_id.
    func uploadImage(_ harness: ServiceHarness) throws -> Int64 {
        let slot = harness.request(
            "POST", "/v3/assets/training_dataset", body: JSONWriter.serialize(["file_extension": "png"]))
        #expect(slot.status == 200, "\(slot.message ?? "")")
        let object = try #require(slot.object)
        let id = try #require(object["assets_id"]?.integerValue)
        #expect(object["method"]?.stringValue == "PUT")
        let url = try #require(object["upload_url"]?.stringValue)
        #expect(url.contains("X-Amz-Expires=120"))
        let put = put(harness, url, Fixtures.pngImage())
        #expect(put.status == 200)
        return id
    }

    func put(_ harness: ServiceHarness, _ url: String, _ body: [UInt8]) -> ServiceHarness.Reply {
        let afterHost = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        let parts = ("/" + afterHost[3]).split(separator: "?", maxSplits: 1)
        let query = parts[1].split(separator: "&").map { pair -> (String, String) in
            let kv = pair.split(separator: "=", maxSplits: 1)
            return (String(kv[0]), String(kv[1]))
        }
        return harness.request(
            "PUT", String(parts[0]), query: query, body: body, headers: [("Content-Type", "image/png")],
            authorized: false, json: false)
    }

    func subjectBody(_ assetIDs: [JSONValue], name: String = "my face") -> [UInt8] {
        JSONWriter.serialize([
            "name": .string(name),
            "base_model": "dreamshaper_8_93211",
            "width": 512,
            "height": 512,
            "image_dataset_items": .array(assetIDs.map { ["assets_id": $0] }),
            "expert_setting": ["instance_prompt": "a photo of sks person", "class_prompt": "person"],
            "components": .null,
        ])
    }

    func status(_ harness: ServiceHarness, _ id: String) -> JSONObject? {
        harness.request("GET", "/v3/training/subject", query: [("task_id", id)]).object
    }

    func txt2img(_ harness: ServiceHarness, lora: String) -> ServiceHarness.Reply {
        harness.request(
            "POST", "/v3/async/txt2img",
            body: JSONWriter.serialize([
                "request": [
                    "model_name": .string(Self.checkpoint), "prompt": "sks person on a beach", "width": 512,
                    "height": 512, "image_num": 1, "steps": 20, "guidance_scale": 7, "sampler_name": "Euler a",
                    "loras": [["model_name": .string(lora), "strength": 0.8]],
                ]
            ]))
    }

    @Test func aSubjectTrainingRunsOnTheVirtualClockAndItsLoRAIsUsable() throws {
        var harness = ServiceHarness { $0.strictModels = true }
        harness.key = "trainer"
        let first = try uploadImage(harness)
        let second = try uploadImage(harness)
        // The SDK sends assets_id as a string; the style page types it as an integer: both are taken.
        let created = harness.request(
            "POST", "/v3/training/subject", body: subjectBody([.string(String(first)), .number(JSONNumber(second))]))
        #expect(created.status == 200, "\(created.message ?? "")")
        #expect(created.header(MockWarnings.header)?.contains("components") == true)
        let id = try #require(created.object?["task_id"]?.stringValue)

        #expect(status(harness, id)?["task_status"]?.stringValue == "QUEUING")
        harness.advance(30_000)
        let training = try #require(status(harness, id))
        #expect(training["task_status"]?.stringValue == "TRAINING")
        #expect(training["models"]?.arrayValue == [])
        harness.advance(280_000)
        let deploying = try #require(status(harness, id))
        #expect(deploying["task_status"]?.stringValue == "SUCCESS")
        let model = try #require(deploying["models"]?.arrayValue?.first?.objectValue)
        #expect(model["model_status"]?.stringValue == "DEPLOYING")
        let modelName = try #require(model["model_name"]?.stringValue)
        #expect(modelName.hasPrefix("model_") && modelName.hasSuffix(".safetensors"))
        let lora = String(modelName.dropLast(".safetensors".count))
        // Not usable until it serves.
        #expect(txt2img(harness, lora: lora).status == 400)
        harness.advance(30_000)
        #expect(status(harness, id)?["models"]?.arrayValue?.first?.objectValue?["model_status"] == "SERVING")
        #expect(status(harness, id)?["model_type"] == "lora")

        // The tenant's catalog lists it as a private LoRA trained here.
        let models =
            harness.request("GET", "/v3/model", query: [("filter.visibility", "private"), ("pagination.limit", "100")])
            .object?["models"]?.arrayValue ?? []
        let entry = try #require(models.first { $0.objectValue?["sd_name_in_api"]?.stringValue == lora }?.objectValue)
        #expect(entry["source"] == "training")
        #expect(entry["type"]?.objectValue?["name"] == "lora")
        #expect(entry["base_model"] == "SD 1.5")

        // txt2img takes it by name (strict models: an unknown LoRA would be a 400) and the task runs.
        let submitted = txt2img(harness, lora: lora)
        #expect(submitted.status == 200, "\(submitted.message ?? "")")
        let task = try #require(submitted.object?["task_id"]?.stringValue)
        harness.advance(60_000)
        #expect(harness.status(task) == "TASK_STATUS_SUCCEED")

        // Another tenant neither sees nor may use it.
        var other = harness
        other.key = "someone-else"
        #expect(txt2img(other, lora: lora).status == 400)
        #expect(other.request("GET", "/v3/training/subject", query: [("task_id", id)]).reason == "TASK_NOT_FOUND")

        // The list, with its pagination and type filter.
        let listed = harness.request("GET", "/v3/training", query: [("pagination.limit", "1")]).object
        #expect(listed?["tasks"]?.arrayValue?.first?.objectValue?["task_id"]?.stringValue == id)
        #expect(listed?["tasks"]?.arrayValue?.first?.objectValue?["task_type"] == "subject")
        #expect(listed?["pagination"]?.objectValue?["next_cursor"] == "")
        #expect(
            harness.request("GET", "/v3/training", query: [("task_type", "style")]).object?["tasks"]?.arrayValue == [])
    }

    @Test func uploadsAreSignedAndExpireAfter120Seconds() throws {
        let harness = ServiceHarness()
        let slot = harness.request(
            "POST", "/v3/assets/training_dataset", body: JSONWriter.serialize(["file_extension": "jpeg"]))
        let url = try #require(slot.object?["upload_url"]?.stringValue)
        let forged = url.replacingOccurrences(of: "X-Amz-Signature=", with: "X-Amz-Signature=0")
        #expect(put(harness, forged, [1]).status == 403)
        #expect(put(harness, url, Array("not an image".utf8)).status == 400)
        harness.advance(121_000)
        let late = put(harness, url, Fixtures.pngImage())
        #expect(late.status == 403)
        #expect(String(decoding: late.bodyBytes, as: UTF8.self).contains("AccessDenied"))
        let bad = harness.request(
            "POST", "/v3/assets/training_dataset", body: JSONWriter.serialize(["file_extension": "gif"]))
        #expect(bad.metadata["path"] == "file_extension")
    }

    /// Like model names: a dataset that was never uploaded is a warning in compat mode and a 400
    /// in strict mode.
    @Test func aTrainingNamesUploadedDatasetsOfItsOwnTenant() throws {
        let harness = ServiceHarness()
        let slot = harness.request(
            "POST", "/v3/assets/training_dataset", body: JSONWriter.serialize(["file_extension": "png"]))
        let empty = try #require(slot.object?["assets_id"]?.integerValue)
        let strict = [("X-Mock-Strict", "true")]
        let refused = harness.request(
            "POST", "/v3/training/subject",
            body: subjectBody([.string(String(empty))]).replacingNullComponents(), headers: strict)
        #expect(refused.status == 400)
        #expect(refused.metadata["path"] == "image_dataset_items[0].assets_id")
        #expect(refused.message?.contains("nothing was uploaded") == true)
        let unknown = harness.request(
            "POST", "/v3/training/subject", body: subjectBody(["999999999"]).replacingNullComponents(),
            headers: strict)
        #expect(unknown.metadata["path"] == "image_dataset_items[0].assets_id")
        #expect(harness.request("GET", "/v3/training").object?["tasks"]?.arrayValue == [])

        let warned = harness.request("POST", "/v3/training/subject", body: subjectBody(["999999999"]))
        #expect(warned.status == 200)
        #expect(warned.header(MockWarnings.header)?.contains("image_dataset_items[0].assets_id") == true)
    }

    @Test func xMockOutcomeFailsATrainingAndNoLoRAAppears() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let asset = try uploadImage(harness)
        let created = harness.request(
            "POST", "/v3/training/subject", body: subjectBody([.string(String(asset))]),
            headers: [("X-Mock-Outcome", "fail")])
        let id = try #require(created.object?["task_id"]?.stringValue)
        #expect(status(harness, id)?["task_status"] == "FAILED")
        #expect(status(harness, id)?["models"]?.arrayValue == [])
        // Its tenant's catalog is the one every other tenant sees.
        let query = [("filter.source", "training"), ("pagination.limit", "100")]
        var fresh = harness
        fresh.key = "never-trained"
        let loras = harness.request("GET", "/v3/model", query: query).object?["models"]?.arrayValue
        #expect(loras != nil)
        #expect(loras == fresh.request("GET", "/v3/model", query: query).object?["models"]?.arrayValue)
    }

    @Test func trainingsSurviveARestartWithTheStateDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainings-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var id = ""
        do {
            let harness = ServiceHarness {
                $0.stateDirectory = directory.path
                $0.speed = 0
            }
            let asset = try uploadImage(harness)
            let created = harness.request("POST", "/v3/training/subject", body: subjectBody([.string(String(asset))]))
            id = try #require(created.object?["task_id"]?.stringValue)
            harness.service.stop()
        }
        let again = ServiceHarness {
            $0.stateDirectory = directory.path
            $0.speed = 0
        }
        #expect(status(again, id)?["task_status"] == "SUCCESS")
        #expect(again.request("GET", "/v3/training").object?["tasks"]?.arrayValue?.count == 1)
        again.service.stop()
    }
}

extension [UInt8] {
    /// A subject body with the SDK's default components instead of `null` (strict mode wants them).
    fileprivate func replacingNullComponents() -> [UInt8] {
        guard case .object(var top)? = try? JSONParser.parse(self) else { return self }
        top["components"] = [["name": "resize", "args": [["name": "width", "value": "512"]]]]
        return JSONWriter.serialize(.object(top))
    }
}
