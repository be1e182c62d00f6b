import Foundation
import Testing

@testable import NovitaMock

@Suite("NSFW detection")
struct NSFWDetectionTests {
    @Test func fixtureFileIsTheBuiltInCopy() throws {
        let file = try String(
            contentsOf: OpenAPITests.repositoryRoot.appendingPathComponent("fixtures/nsfw-terms.json"), encoding: .utf8)
        #expect(file == BuiltInNSFWTerms.json + "\n")
        #expect(NSFWDetector.termsByLevel.count == 3)
    }

    @Test(arguments: [
        ("a nude portrait", 0, true), ("a naked man", 0, true), ("NSFW art", 0, true), ("porn", 0, true),
        ("sex on the beach", 0, true), ("a swastika flag", 0, true),
        ("a topless woman", 0, false), ("a topless woman", 1, true), ("lingerie ad", 1, true),
        ("two people kissing", 1, true),
        ("a bikini on the beach", 1, false), ("a bikini on the beach", 2, true), ("swimsuit", 2, true),
        ("swimwear catalogue", 2, true), ("underwear", 2, true), ("a cute dog", 2, false), ("sussex county", 2, false),
    ])
    func flagsByLevel(prompt: String, level: Int, flagged: Bool) {
        #expect(NSFWDetector.flags(prompt: prompt, level: level) == flagged)
    }

    @Test func resultCarriesConfidencePerImage() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let extra: JSONValue = ["enable_nsfw_detection": true, "nsfw_detection_level": 2]
        let flagged = try harness.submitOK(Fixtures.body(["prompt": "a bikini model", "image_num": 3], extra: extra))
        let body = try #require(harness.result(flagged).object)
        #expect(body["extra"]?.objectValue?["enable_nsfw_detection"] == true)
        let results = (body["images"]?.arrayValue ?? []).compactMap {
            $0.objectValue?["nsfw_detection_result"]?.objectValue
        }
        #expect(results.count == 3)
        for result in results {
            #expect(result["valid"] == true)
            #expect((85...100).contains(result["confidence"]?.integerValue ?? -1))
        }
        let clean = try harness.submitOK(Fixtures.body(["prompt": "a cute dog"], extra: extra))
        let cleanResult = harness.result(clean).object?["images"]?.arrayValue?.first?.objectValue?[
            "nsfw_detection_result"]?.objectValue
        #expect((0...10).contains(cleanResult?["confidence"]?.integerValue ?? -1))
        // Deterministic: the same request scores the same.
        let again = try harness.submitOK(Fixtures.body(["prompt": "a bikini model", "image_num": 3], extra: extra))
        let scores = { (id: String) in
            (harness.result(id).object?["images"]?.arrayValue ?? []).map {
                $0.objectValue?["nsfw_detection_result"]?.objectValue?["confidence"]
            }
        }
        #expect(scores(again) == scores(flagged))
    }

    @Test func detectionOffMeansNullResults() throws {
        let harness = ServiceHarness { $0.speed = 0 }
        let id = try harness.submitOK(Fixtures.body(["prompt": "a nude portrait"]))
        let image = harness.result(id).object?["images"]?.arrayValue?.first?.objectValue
        #expect(image?["nsfw_detection_result"] == .null)
    }
}
