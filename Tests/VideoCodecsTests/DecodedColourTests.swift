import Foundation
import ImageCodecs
import Testing
import VideoCodecs

/// Frames decoded by ffmpeg come back close to the colours that went in: the BT.601 conversion,
/// the VUI colour tags and the palette all agree with what a player assumes.
@Suite(.enabled(if: FFmpegTools.available, Comment(rawValue: FFmpegTools.missingMessage)))
struct DecodedColourTests {
    /// This test's files, removed when it ends.
    private let scratch: ScratchDirectory

    init() throws { scratch = try ScratchDirectory() }

    /// Inner rectangles of the four quadrants (edges blur under chroma subsampling and dithering).
    private static func quadrantRegions(width: Int, height: Int) -> [(Range<Int>, Range<Int>)] {
        let marginX = width / 8
        let marginY = height / 8
        let left = marginX..<(width / 2 - marginX)
        let right = (width / 2 + marginX)..<(width - marginX)
        let top = marginY..<(height / 2 - marginY)
        let bottom = (height / 2 + marginY)..<(height - marginY)
        return [(left, top), (right, top), (left, bottom), (right, bottom)]
    }

    private static func expectClose(
        _ decoded: (Double, Double, Double), _ expected: (Double, Double, Double), tolerance: Double,
        _ label: String
    ) {
        #expect(abs(decoded.0 - expected.0) <= tolerance, "\(label) red \(decoded.0) vs \(expected.0)")
        #expect(abs(decoded.1 - expected.1) <= tolerance, "\(label) green \(decoded.1) vs \(expected.1)")
        #expect(abs(decoded.2 - expected.2) <= tolerance, "\(label) blue \(decoded.2) vs \(expected.2)")
    }

    @Test func mp4QuadrantsDecodeToTheirColours() throws {
        let frame = MovingTestPattern.quadrants(width: 320, height: 240)
        let path = try scratch.write(
            try VideoEncoder.encodeMP4(frames: [frame, frame, frame], fps: 10), name: "quadrants.mp4")
        for index in [0, 2] {
            let decoded = try ImageDecoder.decode(
                try FFmpegTools.extractFramePNG(path, index: index), maxPixels: 1 << 24)
            #expect(decoded.width == 320 && decoded.height == 240)
            for (quadrant, region) in Self.quadrantRegions(width: 320, height: 240).enumerated() {
                let colour = MovingTestPattern.quadrantColours[quadrant]
                Self.expectClose(
                    MovingTestPattern.meanColour(of: decoded, x: region.0, y: region.1),
                    (Double(colour.0), Double(colour.1), Double(colour.2)), tolerance: 4,
                    "frame \(index) quadrant \(quadrant)")
            }
        }
    }

    @Test func movingPatternDecodesCloseToTheInputEverywhere() throws {
        let width = 640
        let height = 360
        let frames = (0..<24).map { MovingTestPattern.frame($0, width: width, height: height) }
        let path = try scratch.write(
            try VideoEncoder.encodeMP4(frames: frames, fps: 24), name: "pattern.mp4")
        for index in [0, 23] {
            let decoded = try ImageDecoder.decode(
                try FFmpegTools.extractFramePNG(path, index: index), maxPixels: 1 << 24)
            // An 8×6 grid of regions: each mean must match the input's.
            for gridY in 0..<6 {
                for gridX in 0..<8 {
                    let x = (gridX * width / 8)..<((gridX + 1) * width / 8)
                    let y = (gridY * height / 6)..<((gridY + 1) * height / 6)
                    let input = MovingTestPattern.meanColour(of: frames[index], x: x, y: y)
                    Self.expectClose(
                        MovingTestPattern.meanColour(of: decoded, x: x, y: y), input, tolerance: 6,
                        "frame \(index) region (\(gridX), \(gridY))")
                }
            }
        }
    }

    @Test func gifQuadrantsDecodeToTheirColours() throws {
        let frame = MovingTestPattern.quadrants(width: 200, height: 120)
        let path = try scratch.write(
            try VideoEncoder.encodeGIF(frames: [frame, frame], fps: 10), name: "q.gif")
        let decoded = try ImageDecoder.decode(try FFmpegTools.extractFramePNG(path, index: 1), maxPixels: 1 << 24)
        for (quadrant, region) in Self.quadrantRegions(width: 200, height: 120).enumerated() {
            let colour = MovingTestPattern.quadrantColours[quadrant]
            // The dither spreads each colour over two palette steps; their mean is the colour.
            Self.expectClose(
                MovingTestPattern.meanColour(of: decoded, x: region.0, y: region.1),
                (Double(colour.0), Double(colour.1), Double(colour.2)), tolerance: 6, "quadrant \(quadrant)")
        }
    }
}
