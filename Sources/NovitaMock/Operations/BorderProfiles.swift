import ImageCodecs

/// The four edges of a picture, each averaged over a thin strip and median-filtered along its length,
/// with the corners: the data of the Coons-patch background model.
struct BorderProfiles {
    /// Per side, 3 values per position (R, G, B, 0...255).
    let top: [Int32]
    let bottom: [Int32]
    let left: [Int32]
    let right: [Int32]
    let width: Int
    let height: Int

    init(_ image: PixelBuffer) {
        width = image.width
        height = image.height
        let strip = max(1, min(width, height) / 100)
        let smoothing = max(1, min(width, height) / 32)
        let (w, h) = (width, height)
        top = Self.profile(image, count: w, strip: strip, smoothing: smoothing) { i, k in (i, k) }
        bottom = Self.profile(image, count: w, strip: strip, smoothing: smoothing) { i, k in (i, h - 1 - k) }
        left = Self.profile(image, count: h, strip: strip, smoothing: smoothing) { i, k in (k, i) }
        right = Self.profile(image, count: h, strip: strip, smoothing: smoothing) { i, k in (w - 1 - k, i) }
    }

    /// The background model at (x, y): top/bottom blended by v, left/right by u, minus the
    /// bilinear blend of the corners (so the four edges are matched exactly).
    @inline(__always)
    func model(x: Int, y: Int, u: Int32, v: Int32, channel c: Int) -> Int32 {
        let iu = 256 - u
        let iv = 256 - v
        let vertical = iv &* top[x * 3 + c] &+ v &* bottom[x * 3 + c]
        let horizontal = iu &* left[y * 3 + c] &+ u &* right[y * 3 + c]
        let corners =
            (iu &* iv &* top[c] &+ u &* iv &* top[(width - 1) * 3 + c] &+ iu &* v &* bottom[c] &+ u &* v
                &* bottom[(width - 1) * 3 + c]) >> 8
        return min(255, max(0, (vertical &+ horizontal &- corners &+ 128) >> 8))
    }

    /// Mean over `strip` pixels inward at each position, then a median of ±`smoothing` along the edge.
    private static func profile(
        _ image: PixelBuffer, count: Int, strip: Int, smoothing: Int, position: (Int, Int) -> (Int, Int)
    ) -> [Int32] {
        var raw = [Int32](repeating: 0, count: count * 3)
        for i in 0..<count {
            for k in 0..<strip {
                let (x, y) = position(i, k)
                let p = (y * image.width + x) * 3
                for c in 0..<3 { raw[i * 3 + c] += Int32(image.rgb[p + c]) }
            }
            for c in 0..<3 { raw[i * 3 + c] = (raw[i * 3 + c] + Int32(strip / 2)) / Int32(strip) }
        }
        // A running median, not a mean: it keeps a sharp step (a horizon) sharp and ignores a
        // narrow intrusion (a subject touching the edge) instead of smearing both along the edge.
        var smooth = [Int32](repeating: 0, count: count * 3)
        var window = [Int32](repeating: 0, count: 2 * smoothing + 1)
        for i in 0..<count {
            let low = max(0, i - smoothing)
            let high = min(count - 1, i + smoothing)
            for c in 0..<3 {
                var filled = 0
                for j in low...high {
                    // Insertion into the sorted prefix: windows are a few dozen values.
                    let value = raw[j * 3 + c]
                    var k = filled
                    while k > 0 && window[k - 1] > value {
                        window[k] = window[k - 1]
                        k -= 1
                    }
                    window[k] = value
                    filled += 1
                }
                smooth[i * 3 + c] = window[filled / 2]
            }
        }
        return smooth
    }
}
