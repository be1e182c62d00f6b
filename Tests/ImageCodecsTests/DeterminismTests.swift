import ImageCodecs
import Testing

@Suite("Encoding is deterministic")
struct DeterminismTests {
    static let image = TestImages.realistic(width: 160, height: 120, seed: 3)
    static let text = "猫 café\nSteps: 20, Seed: 42"

    @Test(arguments: ImageFormat.allCases)
    func sameInputSameBytes(format: ImageFormat) throws {
        let first = try ImageEncoder.encode(Self.image, as: format, parameters: Self.text)
        let second = try ImageEncoder.encode(Self.image, as: format, parameters: Self.text)
        #expect(first == second)
    }

    @Test(arguments: ImageFormat.allCases)
    func sameBytesFromConcurrentThreads(format: ImageFormat) async throws {
        let reference = try ImageEncoder.encode(Self.image, as: format, parameters: Self.text)
        let results = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<4 {
                group.addTask { try ImageEncoder.encode(Self.image, as: format, parameters: Self.text) }
            }
            var all: [[UInt8]] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 4)
        #expect(results.allSatisfy { $0 == reference })
    }

    @Test(arguments: ImageFormat.allCases)
    func differentSeedsDiffer(format: ImageFormat) throws {
        let other = TestImages.realistic(width: 160, height: 120, seed: 4)
        #expect(
            try ImageEncoder.encode(Self.image, as: format, parameters: "")
                != ImageEncoder.encode(other, as: format, parameters: ""))
    }
}
