import Digests
import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

/// Byte-exact determinism across runs and machines: SHA-256 of rendered images for fixed
/// requests, kept in `fixtures/golden/images.json`. After a deliberate change to the renderer
/// or encoders, regenerate with `UPDATE_GOLDEN=1 swift test --filter GoldenImageTests` and look
/// at what changed.
@Suite("Golden images")
struct GoldenImageTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let kind: TaskKind
        let format: ImageFormat
        let width: Int
        let height: Int
        let seed: UInt32
        let index: Int
        let strength: Double
        let withInput: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "img2img-png-512", kind: .img2img, format: .png, width: 512, height: 512, seed: 123, index: 0,
            strength: 0.5, withInput: true),
        Case(
            name: "img2img-png-seed-plus-index", kind: .img2img, format: .png, width: 512, height: 512, seed: 123,
            index: 3, strength: 0.5, withInput: true),
        Case(
            name: "img2img-jpeg-384x512", kind: .img2img, format: .jpeg, width: 384, height: 512, seed: 4_294_967_295,
            index: 1, strength: 0.25, withInput: true),
        Case(
            name: "img2img-webp-128", kind: .img2img, format: .webp, width: 128, height: 128, seed: 0, index: 0,
            strength: 1, withInput: true),
        Case(
            name: "txt2img-png-1024x640", kind: .txt2img, format: .png, width: 1024, height: 640, seed: 987_654_321,
            index: 0, strength: 1, withInput: false),
        Case(
            name: "upscale-jpeg-x2", kind: .upscale, format: .jpeg, width: 128, height: 96, seed: 0, index: 0,
            strength: 0, withInput: true),
    ]

    static let goldenFile = OpenAPITests.repositoryRoot.appendingPathComponent("fixtures/golden/images.json")

    static func render(_ c: Case) throws -> [UInt8] {
        var parameters = GenerationParameters(
            kind: c.kind, modelName: "sd_xl_base_1.0.safetensors", prompt: "a lighthouse on a cliff, golden hour",
            negativePrompt: "blurry", width: c.width, height: c.height, imageNum: c.index + 1, steps: 20,
            guidanceScale: 7.5, samplerName: "Euler a", seed: c.seed, strength: c.strength, format: c.format)
        if c.kind == .upscale { parameters.scaleFactor = 2 }
        let record = TaskRecord(
            id: "00000000-0000-4000-8000-000000000000", serial: 1, tenant: "t", parameters: parameters, inputKey: nil,
            extra: ExtraOptions(), outcome: .succeed, imageBaseURL: "", requestSummary: [], submittedAt: 0,
            durationMs: 0, startedAt: 0, finishedAt: 0, status: .succeed, failureReason: "")
        let input = c.withInput ? Fixtures.pngImage(width: 64, height: 48) : nil
        return try ImageService.render(record, index: c.index, inputBytes: input)
    }

    static func digest(_ bytes: [UInt8]) -> String {
        SHA256.hash(bytes).map { String(format: "%02x", $0) }.joined()
    }

    @Test func renderedBytesMatchTheGoldenHashes() throws {
        let computed = try Self.cases.map { ($0.name, Self.digest(try Self.render($0))) }
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            let object = Dictionary(uniqueKeysWithValues: computed)
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try (data + Data("\n".utf8)).write(to: Self.goldenFile)
        }
        let data = try Data(contentsOf: Self.goldenFile)
        let golden = try #require(try JSONSerialization.jsonObject(with: data) as? [String: String])
        for (name, digest) in computed {
            #expect(golden[name] == digest, "\(name): rendered bytes changed")
        }
        #expect(golden.count == computed.count)
    }

    @Test func renderingIsTheSameOnEveryThread() async throws {
        let c = Self.cases[0]
        let expected = try Self.render(c)
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<6 { group.addTask { try Self.render(c) } }
            for try await bytes in group { #expect(bytes == expected) }
        }
    }
}
