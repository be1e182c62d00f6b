import ImageCodecs
import Synchronization
import VideoCodecs

/// What a clip's inputs add to its frames beyond the first frame (docs/contract.md §14): the end
/// frame taking over from the pattern across the last third of the clip (the last frame is the
/// end frame, as frame 0 is the first), and reference images as small insets along the top right
/// edge; for video-merge-face, the source video's decoded frames under the face, feathered in
/// as merge-face does. Drawn before the caption band; integer arithmetic, so the same request
/// gives the same bytes. Not `Sendable` (it owns a decoder): one clip, one thread, frames in order.
struct VideoFrameOverlay: Sendable {
    /// The end frame at the clip's size.
    let end: PixelBuffer?
    /// The references at inset size, each with its top-left corner.
    let insets: [(x: Int, y: Int, image: PixelBuffer)]

    /// The source video's frames, decoded in order as the clip is drawn.
    let source: SourceFrames?
    /// The face at its size in the frame, and where it goes.
    let face: (left: Int, top: Int, image: PixelBuffer)?

    init(
        end: PixelBuffer?, references: [PixelBuffer], width: Int, height: Int, source: [UInt8]? = nil,
        face: PixelBuffer? = nil
    ) {
        self.end = end.map { VideoFrameRenderer.cover($0, width: width, height: height) }
        self.source = source.map { SourceFrames($0, width: width, height: height) }
        self.face = face.map { face in
            // merge-face's placement: fit a centred square of 40 % of the short side, aspect kept.
            let side = max(1, min(width, height) * MergeFaceOperation.regionPercent / 100)
            let faceWidth = max(1, face.width >= face.height ? side : face.width * side / face.height)
            let faceHeight = max(1, face.height >= face.width ? side : face.height * side / face.width)
            return (
                (width - faceWidth) / 2, (height - faceHeight) / 2,
                ImageResampler.resize(face, width: faceWidth, height: faceHeight)
            )
        }
        // Insets a fifth of the short side, with a margin of a fiftieth, right to left.
        let side = max(8, min(width, height) / 5)
        let margin = max(2, min(width, height) / 50)
        var placed: [(x: Int, y: Int, image: PixelBuffer)] = []
        for (index, reference) in references.enumerated() {
            let x = width - (index + 1) * (side + margin)
            guard x >= margin, side + 2 * margin <= height else { break }
            placed.append((x, margin, VideoFrameRenderer.cover(reference, width: side, height: side)))
        }
        insets = placed
    }

    var isEmpty: Bool { end == nil && insets.isEmpty && source == nil && face == nil }

    /// The first frame of the end frame's take-over: two thirds of the way through.
    static func endStart(frameCount: Int) -> Int { frameCount * 2 / 3 }

    func apply(to image: inout PixelBuffer, frame index: Int, of frameCount: Int) {
        if let frame = source?.frame(index) { image = frame }
        if let face { MergeFaceOperation.feather(face.image, into: &image, left: face.left, top: face.top) }
        if let end, frameCount > 1 {
            let start = Self.endStart(frameCount: frameCount)
            let last = frameCount - 1
            if index >= start {
                // 0 at `start`, the whole end frame at the last frame.
                let share =
                    last > start ? ImageRenderer.blendOne * (index - start) / (last - start) : ImageRenderer.blendOne
                ImageRenderer.blend(pattern: &image, over: end, weight: ImageRenderer.blendOne - share)
            }
        }
        for inset in insets {
            Self.draw(inset.image, at: inset.x, inset.y, into: &image)
        }
    }

    /// `inset` copied into `image` at (`x`, `y`) inside a one-pixel white frame.
    static func draw(_ inset: PixelBuffer, at x: Int, _ y: Int, into image: inout PixelBuffer) {
        let width = image.width
        for row in -1...inset.height {
            let ty = y + row
            guard ty >= 0, ty < image.height else { continue }
            for column in -1...inset.width {
                let tx = x + column
                guard tx >= 0, tx < width else { continue }
                let target = (ty * width + tx) * 3
                if row < 0 || column < 0 || row == inset.height || column == inset.width {
                    image.rgb[target] = 255
                    image.rgb[target + 1] = 255
                    image.rgb[target + 2] = 255
                } else {
                    let source = (row * inset.width + column) * 3
                    image.rgb[target] = inset.rgb[source]
                    image.rgb[target + 1] = inset.rgb[source + 1]
                    image.rgb[target + 2] = inset.rgb[source + 2]
                }
            }
        }
    }
}

/// A source video's frames for a clip of `width × height`: demuxed by `MP4Reader` and decoded by
/// openh264 in display order (pictures a stream with B-frames holds back come out at the end). A
/// stream openh264 cannot decode gives no frames from the first failure on, and the clip keeps the
/// seeded pattern under the face there (docs/contract.md §14).
///
/// Frames are asked one after another — the clip's pipeline draws frame n + 1 only once frame n
/// was taken — but on whichever helper thread is free, so the decoding state sits behind a lock.
final class SourceFrames: @unchecked Sendable {
    private let lock = Mutex(())
    private let bytes: [UInt8]
    private let reader: MP4Reader?
    private let decoder: H264Decoder?
    private let width: Int
    private let height: Int
    /// The next sample to decode.
    private var next = 0
    /// Decoded pictures not yet shown, in display order; `shown` pictures came before them.
    private var queue: [PixelBuffer] = []
    private var shown = 0
    private var latest: PixelBuffer?
    private var failed = false
    private var flushed = false

    init(_ bytes: [UInt8], width: Int, height: Int) {
        self.bytes = bytes
        reader = try? MP4Reader(bytes)
        decoder = try? H264Decoder()
        (self.width, self.height) = (width, height)
    }

    /// Frame `index` at the clip's size, or nil when it cannot be decoded; asked in order. Past
    /// the pictures the stream gives, the last one stays.
    func frame(_ index: Int) -> PixelBuffer? {
        lock.withLock { _ in decodedFrame(index) }
    }

    private func decodedFrame(_ index: Int) -> PixelBuffer? {
        guard !failed, let reader, let decoder, reader.codec == "avc1" || reader.codec == "avc3" else { return nil }
        while shown + queue.count <= index, !flushed {
            if next < reader.frameCount {
                do {
                    if let picture = try decoder.decode(reader.annexB(ofSample: next, in: bytes)) {
                        queue.append(picture)
                    }
                } catch {
                    failed = true
                    return nil
                }
                next += 1
            } else {
                queue += decoder.flush()
                flushed = true
            }
        }
        // Drop what was shown: at most the reorder depth of pictures is held.
        while shown < index, !queue.isEmpty {
            latest = queue.removeFirst()
            shown += 1
        }
        if shown == index, !queue.isEmpty {
            latest = queue.removeFirst()
            shown += 1
        }
        guard let latest else { return nil }
        if latest.width == width && latest.height == height { return latest }
        let resized = ImageResampler.resize(latest, width: width, height: height)
        self.latest = resized
        return resized
    }
}
