import ImageCodecs

/// The four edges of a picture, each averaged over a thin strip and median-filtered along its
/// length, with the corners: the data of the Coons-patch background model. A stretch of an edge
/// that stands out from the edge's usual colour and is bounded by usual colour on both sides —
/// a subject reaching the border, like a person cut off at the bottom — is bridged over, so the
/// model stays background there (a stretch that runs into a corner is kept: it may be the ground).
struct BorderProfiles {
    /// Per side, one plane per channel (R at 0..<n, G at n..<2n, B after; values 0...255):
    /// planar, so the per-row loops run over contiguous memory and vectorise.
    let top: [Int32]
    let bottom: [Int32]
    let left: [Int32]
    let right: [Int32]
    let width: Int
    let height: Int
    /// u = x/(w−1) in 1/256 for every column, computed once (a division per pixel would dominate).
    let us: [Int32]

    init(_ image: PixelBuffer) {
        width = image.width
        height = image.height
        us = (0..<image.width).map { Int32($0 * 256 / max(1, image.width - 1)) }
        let strip = max(1, min(width, height) / 100)
        let smoothing = max(1, min(width, height) / 64)
        let (w, h) = (width, height)
        top = Self.profile(image, count: w, strip: strip, smoothing: smoothing) { i, k in (i, k) }
        bottom = Self.profile(image, count: w, strip: strip, smoothing: smoothing) { i, k in (i, h - 1 - k) }
        left = Self.profile(image, count: h, strip: strip, smoothing: smoothing) { i, k in (k, i) }
        right = Self.profile(image, count: h, strip: strip, smoothing: smoothing) { i, k in (w - 1 - k, i) }
    }

    /// The background model along row `y` into `row` (`width * 3`, planar like the profiles):
    /// S(u, v) = (1−v)·top(u) + v·bottom(u) + (1−u)·left(v) + u·right(v) − the bilinear blend of
    /// the corners, with u = x/(w−1) and v = y/(h−1) in 1/256 — a Coons patch, which matches all
    /// four edges exactly and is linear in u along a row, so each pixel costs three multiplies.
    func modelRow(_ y: Int, into row: inout [Int32]) {
        let v = Int32(y * 256 / max(1, height - 1))
        let iv = 256 - v
        let width = width
        let height = height
        withUnsafeBuffers { top, bottom, us in
            row.withUnsafeMutableBufferPointer { row in
                for c in 0..<3 {
                    let plane = c * width
                    // Everything that depends on the row only, in 1/65536: the left edge, minus the
                    // corners' blend at u = 0, and the slope per step of u.
                    let leftEdge = left[c * height + y] &* 256
                    let rightEdge = right[c * height + y] &* 256
                    let cornersAtLeft = iv &* top[plane] &+ v &* bottom[plane]
                    let cornersAtRight = iv &* top[plane + width - 1] &+ v &* bottom[plane + width - 1]
                    let constant = (leftEdge &- cornersAtLeft) &* 256 &+ 32768
                    let slope = (rightEdge &- leftEdge) &- (cornersAtRight &- cornersAtLeft)
                    for x in 0..<width {
                        let vertical = iv &* top[plane &+ x] &+ v &* bottom[plane &+ x]
                        let value = (vertical &* 256 &+ constant &+ us[x] &* slope) >> 16
                        row[plane &+ x] = min(255, max(0, value))
                    }
                }
            }
        }
    }

    private func withUnsafeBuffers(
        _ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>) -> Void
    ) {
        top.withUnsafeBufferPointer { top in
            bottom.withUnsafeBufferPointer { bottom in
                us.withUnsafeBufferPointer { us in body(top, bottom, us) }
            }
        }
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
                for c in 0..<3 { raw[c * count + i] += Int32(image.rgb[p + c]) }
            }
            for c in 0..<3 { raw[c * count + i] = (raw[c * count + i] + Int32(strip / 2)) / Int32(strip) }
        }
        // A running median, not a mean: it keeps a sharp step (a horizon) sharp and ignores a
        // narrow intrusion (a subject touching the edge) instead of smearing both along the edge.
        var smooth = [Int32](repeating: 0, count: count * 3)
        var window = [Int32](repeating: 0, count: 2 * smoothing + 1)
        for c in 0..<3 {
            let plane = c * count
            for i in 0..<count {
                var filled = 0
                for j in max(0, i - smoothing)...min(count - 1, i + smoothing) {
                    // Insertion into the sorted prefix: windows are a few dozen values.
                    let value = raw[plane + j]
                    var k = filled
                    while k > 0 && window[k - 1] > value {
                        window[k] = window[k - 1]
                        k -= 1
                    }
                    window[k] = value
                    filled += 1
                }
                smooth[plane + i] = window[filled / 2]
            }
        }
        bridgeIntrusions(&smooth, count: count)
        return smooth
    }

    /// How far (largest channel difference) a position may stand from the edge's median colour
    /// and still count as the edge's usual colour.
    static let intrusionDistance: Int32 = 48

    /// Replaces each run of unusual positions with both ends usual by a straight line between
    /// the usual values around it.
    private static func bridgeIntrusions(_ profile: inout [Int32], count: Int) {
        guard count > 2 else { return }
        var median = [Int32](repeating: 0, count: 3)
        for c in 0..<3 { median[c] = profile[(c * count)..<((c + 1) * count)].sorted()[count / 2] }
        let usual = (0..<count).map { i in
            (0..<3).allSatisfy { c in abs(profile[c * count + i] - median[c]) <= intrusionDistance }
        }
        var i = 0
        while i < count {
            guard !usual[i] else {
                i += 1
                continue
            }
            var end = i
            while end < count && !usual[end] { end += 1 }
            // [i, end) is unusual; bridge it only when usual positions bound it on both sides.
            if i > 0 && end < count {
                let span = Int32(end - i + 1)
                for c in 0..<3 {
                    let before = profile[c * count + i - 1]
                    let after = profile[c * count + end]
                    for k in i..<end {
                        let t = Int32(k - i + 1)
                        profile[c * count + k] = before + (after - before) * t / span
                    }
                }
            }
            i = end
        }
    }
}
