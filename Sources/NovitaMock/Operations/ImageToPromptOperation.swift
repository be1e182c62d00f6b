import ImageCodecs

/// `img2prompt`: a sentence that describes the picture it was given, deterministically — its
/// brightness, contrast, orientation and size, the colours it mostly shows (named from a small
/// table), and whether something darker or lighter stands in the middle. E.g. "a bright,
/// high-contrast landscape picture, 1024x768, mostly sky blue and white with touches of dark
/// green, with a darker subject in the middle".
enum ImageToPromptOperation {
    /// Share (percent) from which a second colour counts as "mostly", and a further one as a "touch".
    static let secondColourPercent = 15
    static let touchPercent = 5
    /// Luma difference between the middle ninth and the rest that reads as a subject.
    static let subjectContrast = 40

    /// What the sentence is made from.
    struct Description {
        var meanLuma: Int
        /// Standard deviation of luma, rounded.
        var lumaSpread: Int
        /// Colour-table indices with their pixel counts, most frequent first.
        var colours: [(index: Int, count: Int)]
        /// Middle ninth's mean luma minus the rest's.
        var centreLift: Int
    }

    static func run(_ input: OperationInput) throws(OperationFailure) -> OperationOutput {
        .text(sentence(for: try input.image("image_file")))
    }

    static func sentence(for image: PixelBuffer) -> String {
        let description = describe(image)
        let total = image.width * image.height
        var text = "a \(brightnessWord(description.meanLuma)), \(contrastWord(description.lumaSpread)) "
        text += "\(orientationWord(width: image.width, height: image.height)) picture, \(image.width)x\(image.height), "
        let names = description.colours.map { ColourName.table[$0.index].name }
        let shares = description.colours.map { $0.count * 100 / total }
        text += "mostly \(names[0])"
        var next = 1
        if names.count > 1, shares[1] >= secondColourPercent {
            text += " and \(names[1])"
            next = 2
        }
        let touches = (next..<min(next + 3, names.count)).filter { shares[$0] >= touchPercent }.map { names[$0] }
        if let last = touches.last {
            let list = touches.count == 1 ? last : touches.dropLast().joined(separator: ", ") + " and " + last
            text += " with touches of " + list
        }
        if description.centreLift <= -subjectContrast { text += ", with a darker subject in the middle" }
        if description.centreLift >= subjectContrast { text += ", with a lighter subject in the middle" }
        return text
    }

    /// One pass over the pixels: a 4-bit-per-channel colour histogram and luma statistics.
    static func describe(_ image: PixelBuffer) -> Description {
        let width = image.width
        let height = image.height
        var histogram = [Int](repeating: 0, count: 4096)
        var lumaSum = 0
        var lumaSquares = 0
        var centreSum = 0
        var centreCount = 0
        let (centreLeft, centreRight) = (width / 3, max(width / 3 + 1, width * 2 / 3))
        let (centreTop, centreBottom) = (height / 3, max(height / 3 + 1, height * 2 / 3))
        image.rgb.withUnsafeBufferPointer { rgb in
            histogram.withUnsafeMutableBufferPointer { histogram in
                for y in 0..<height {
                    let inCentreRows = y >= centreTop && y < centreBottom
                    for x in 0..<width {
                        let p = (y * width + x) * 3
                        let (r, g, b) = (Int(rgb[p]), Int(rgb[p + 1]), Int(rgb[p + 2]))
                        histogram[(r >> 4) << 8 | (g >> 4) << 4 | b >> 4] += 1
                        let luma = (77 * r + 150 * g + 29 * b + 128) >> 8
                        lumaSum += luma
                        lumaSquares += luma * luma
                        if inCentreRows && x >= centreLeft && x < centreRight {
                            centreSum += luma
                            centreCount += 1
                        }
                    }
                }
            }
        }
        var perName = [Int](repeating: 0, count: ColourName.table.count)
        for (bin, count) in histogram.enumerated() where count > 0 {
            let index = ColourName.nearest(
                red: (bin >> 8) * 16 + 8, green: ((bin >> 4) & 15) * 16 + 8, blue: (bin & 15) * 16 + 8)
            perName[index] += count
        }
        let colours = perName.enumerated().filter { $0.element > 0 }
            .sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
            .map { (index: $0.offset, count: $0.element) }
        let total = width * height
        let mean = lumaSum / total
        let variance = max(0, lumaSquares / total - mean * mean)
        let rest = total - centreCount
        let centreLift = rest == 0 ? 0 : centreSum / centreCount - (lumaSum - centreSum) / rest
        return Description(
            meanLuma: mean, lumaSpread: integerSquareRoot(variance), colours: colours, centreLift: centreLift)
    }

    static func brightnessWord(_ luma: Int) -> String {
        switch luma {
        case ..<60: "dark"
        case ..<100: "dim"
        case ..<155: "softly lit"
        case ..<200: "bright"
        default: "very bright"
        }
    }

    static func contrastWord(_ spread: Int) -> String {
        switch spread {
        case ..<25: "low-contrast"
        case ..<55: "balanced"
        default: "high-contrast"
        }
    }

    /// Square within 10 %; otherwise by the longer side.
    static func orientationWord(width: Int, height: Int) -> String {
        if width * 10 > height * 11 { return "landscape" }
        if height * 10 > width * 11 { return "portrait" }
        return "square"
    }

    private static func integerSquareRoot(_ n: Int) -> Int {
        var root = 0
        while (root + 1) * (root + 1) <= n { root += 1 }
        return root
    }
}
