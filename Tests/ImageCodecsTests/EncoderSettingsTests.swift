import ImageCodecs
import Testing

/// What the PNG settings were chosen for, checked on content rather than on a stopwatch: every
/// candidate is lossless, the pinned one is what `ImageEncoder.encode` uses, it compresses, and
/// its output follows the content. Encode timings live in `scripts/bench` (render+encode, (d)).
@Suite("Encoder settings")
struct EncoderSettingsTests {
    static let image = TestImages.realistic(width: 256, height: 256, seed: 2024)
    static let text = "a lighthouse at dusk\nSteps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 1, Size: 256x256"

    /// The settings compared when `PNGCompression.standard` was chosen.
    static let candidates: [PNGCompression] = [
        .stored,
        .standard,
        PNGCompression(level: 1, strategy: .runLength, filters: .sub),
        PNGCompression(level: 1, strategy: .runLength, filters: .paeth),
        PNGCompression(level: 1, strategy: .standard, filters: .up),
        PNGCompression(level: 1, strategy: .standard, filters: .sub),
        PNGCompression(level: 1, strategy: .huffmanOnly, filters: .up),
        PNGCompression(level: 1, strategy: .huffmanOnly, filters: .sub),
        PNGCompression(level: 1, strategy: .runLength, filters: .all),
        PNGCompression(level: 6, strategy: .standard, filters: .all),
    ]

    @Test(arguments: candidates)
    func everyCandidatePNGSettingIsLosslessAndCarriesTheParameters(compression: PNGCompression) throws {
        let bytes = try ImageEncoder.encodePNG(Self.image, parameters: Self.text, compression: compression)
        #expect(try ImageDecoder.decode(bytes, maxPixels: 1 << 20) == Self.image)
        #expect(ImageMetadataReader.parameters(in: bytes) == Self.text)
    }

    @Test func defaultPNGIsTheStandardSettingAndSmallerThanStored() throws {
        let shipped = try ImageEncoder.encode(Self.image, as: .png, parameters: Self.text)
        let standard = try ImageEncoder.encodePNG(Self.image, parameters: Self.text, compression: .standard)
        let stored = try ImageEncoder.encodePNG(Self.image, parameters: Self.text, compression: .stored)
        #expect(shipped == standard)
        #expect(stored.count >= Self.image.rgb.count)  // level 0 keeps every sample
        #expect(shipped.count < stored.count)
    }

    /// The same frame with less per-sample noise: the standard setting must find the smoother
    /// content (what rendered images are) and store it in fewer bytes.
    @Test func lessNoiseCompressesSmallerAtTheStandardSetting() throws {
        let sizes = try [0, 1, 2, 4].map { amplitude in
            let image = TestImages.realistic(width: 256, height: 256, seed: 2024, noise: amplitude)
            return try ImageEncoder.encodePNG(image, parameters: Self.text, compression: .standard).count
        }
        #expect(sizes == sizes.sorted() && Set(sizes).count == sizes.count, "sizes by noise 0, 1, 2, 4: \(sizes)")
    }
}
