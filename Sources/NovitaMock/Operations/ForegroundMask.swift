import ImageCodecs

/// The subject of a picture as a soft alpha plane, found from the picture's own contrast: the
/// background is modelled from the border (a Coons patch between the four smoothed edges, so a
/// sky gradient or a vignette counts as background); pixels far from that model (above Otsu's
/// threshold of the distances) seed the subject, which then grows into every connected pixel that
/// is still clearly off the model (hysteresis, so a dark figure against dark ground stays whole).
/// The mask is then cleaned up — speckles voted away, components under 0.2 % dropped, enclosed
/// holes filled — and given a soft edge of about two pixels. A picture with no believable
/// subject gets a centred ellipse instead, so the cut-out always shows.
enum ForegroundMask {
    /// Colour distances (largest channel difference from the model) that seed a subject at the
    /// least, and that a subject can grow into at the least, whatever Otsu says.
    static let minimumStrongDistance = 40
    static let minimumWeakDistance = 20
    /// Subjects covering less or more than this share (in 1/1000) of the picture are not believed.
    static let plausibleShare = 5...950

    /// The shorter side the subject is searched at: larger pictures are first shrunk (area
    /// averaged) by a whole factor, so the search costs the same at 1 and at 16 megapixels.
    static let workingSide = 384

    /// `width * height` bytes, 255 subject, 0 background, soft in between.
    ///
    /// The full-size passes (shrinking, the upsampled mask, the soft edge) split their rows
    /// with `BlockingWorkPool.renderHelpers` (`BlockingWorkPool.inHalves`): the same bytes on any core count.
    static func alpha(of image: PixelBuffer) -> [UInt8] {
        let helpers = BlockingWorkPool.renderHelpers
        let width = image.width
        let height = image.height
        let factor = max(1, min(width, height) / workingSide)
        var binary: [UInt8]
        if factor == 1 {
            binary = subject(of: image) ?? ellipse(width: width, height: height)
        } else {
            let small = ImageResampler.resize(
                image, width: width / factor, height: height / factor, helpers: helpers)
            let found = subject(of: small) ?? ellipse(width: small.width, height: small.height)
            // Bilinear up, then back to binary at half way: a smooth contour, not a staircase.
            binary = PlaneScaler.bilinear(
                found, width: small.width, height: small.height, toWidth: width, toHeight: height,
                helpers: helpers)
            binary.withUnsafeMutableBufferPointer { binary in
                // ≥ 128 is the sign bit: shifted across the byte it gives 255 or 0, without a branch.
                for i in 0..<binary.count { binary[i] = UInt8(bitPattern: Int8(bitPattern: binary[i]) >> 7) }
            }
        }
        // A 5-pixel triangle ramp: the "1–3 px" soft edge of a cut-out.
        return PlaneBlur.triangle(binary, width: width, height: height, helpers: helpers)
    }

    /// The binary subject mask (0/255), or nil when the picture shows none.
    static func subject(of image: PixelBuffer) -> [UInt8]? {
        let width = image.width
        let height = image.height
        guard width >= 8, height >= 8 else { return nil }
        let distance = distanceFromBorderModel(image)
        let strong = max(minimumStrongDistance, otsuThreshold(distance))
        let weak = UInt8(max(minimumWeakDistance, strong / 3))
        var mask = distance.map { Int($0) > strong ? UInt8(255) : 0 }
        MaskComponents.grow(&mask, width: width, height: height, accepts: distance.map { $0 > weak ? 1 : 0 })
        // Majority vote over a small neighbourhood: removes speckles and hairlines, keeps shapes.
        let radius = max(1, min(width, height) / 256)
        let votes = Int32((2 * radius + 1) * (2 * radius + 1)) * 255
        mask = PlaneBlur.windowSums(mask, width: width, height: height, radius: radius, Majority(votes: votes))
        MaskComponents.removeSmall(&mask, width: width, height: height, minimumSize: max(16, width * height / 500))
        MaskComponents.fillHoles(&mask, width: width, height: height)
        let subjectPixels = mask.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        guard plausibleShare.contains(subjectPixels * 1000 / (width * height)) else { return nil }
        return mask
    }

    /// Per pixel, the largest channel difference from the border model (a change of hue counts
    /// as much as a change of brightness).
    static func distanceFromBorderModel(_ image: PixelBuffer) -> [UInt8] {
        let width = image.width
        let height = image.height
        let edges = BorderProfiles(image)
        var distance = [UInt8](repeating: 0, count: width * height)
        var model = [Int32](repeating: 0, count: width * 3)
        image.rgb.withUnsafeBufferPointer { rgb in
            distance.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    edges.modelRow(y, into: &model)
                    model.withUnsafeBufferPointer { model in
                        let row = y * width
                        // Wrapping arithmetic and a branch-free |d|: no overflow traps in the hot loop.
                        @inline(__always) func distance(_ a: UInt8, _ b: Int32) -> Int32 {
                            let d = Int32(a) &- b
                            let sign = d >> 31
                            return (d ^ sign) &- sign
                        }
                        for x in 0..<width {
                            let p = (row &+ x) &* 3
                            let r = distance(rgb[p], model[x])
                            let g = distance(rgb[p &+ 1], model[width &+ x])
                            let b = distance(rgb[p &+ 2], model[2 &* width &+ x])
                            out[row &+ x] = UInt8(truncatingIfNeeded: max(r, max(g, b)))
                        }
                    }
                }
            }
        }
        return distance
    }

    /// Otsu's threshold of a byte plane: the split that best separates its values into two groups.
    static func otsuThreshold(_ plane: [UInt8]) -> Int {
        var histogram = [Int](repeating: 0, count: 256)
        for value in plane { histogram[Int(value)] += 1 }
        let total = plane.count
        let sumAll = histogram.enumerated().reduce(0) { $0 + $1.offset * $1.element }
        var below = 0
        var sumBelow = 0
        var best = 0
        var bestScore = -1.0
        for t in 0..<255 {
            below += histogram[t]
            sumBelow += t * histogram[t]
            let above = total - below
            guard below > 0, above > 0 else { continue }
            let meanBelow = Double(sumBelow) / Double(below)
            let meanAbove = Double(sumAll - sumBelow) / Double(above)
            // Between-class variance; Double is exact enough here and the same on every machine.
            let score = Double(below) * Double(above) * (meanAbove - meanBelow) * (meanAbove - meanBelow)
            if score > bestScore {
                bestScore = score
                best = t
            }
        }
        return best
    }

    /// A centred ellipse over 76 % of the width and 86 % of the height (0/255).
    static func ellipse(width: Int, height: Int) -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: width * height)
        // In half pixels: (2x + 1 − w)² / a² + (2y + 1 − h)² / b² ≤ 1, a = 0.76 w, b = 0.86 h.
        let a = max(1, width * 76 / 100)
        let b = max(1, height * 86 / 100)
        for y in 0..<height {
            let dy = 2 * y + 1 - height
            let rowTerm = dy * dy * a * a
            for x in 0..<width {
                let dx = 2 * x + 1 - width
                if dx * dx * b * b + rowTerm <= a * a * b * b { mask[y * width + x] = 255 }
            }
        }
        return mask
    }

    /// 255 where at least half the window's votes (255 each) are set, else 0.
    private struct Majority: WindowVerdict {
        let votes: Int32

        func callAsFunction(_ sum: Int32) -> UInt8 {
            sum &* 2 >= votes ? 255 : 0
        }
    }
}
