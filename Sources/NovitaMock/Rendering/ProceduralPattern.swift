import ImageCodecs

/// The seeded "generated image" placeholder: a palette-mapped plasma backdrop, a few soft
/// discs, rings and glows, and a vignette — smooth, colourful, and clearly different per seed.
///
/// Two random streams keep the roles apart, the way a diffusion seed fixes a composition:
/// the *layout* (wave directions, shape positions and sizes) comes from the seed alone, the
/// *style* (palette, wave phases, shape colours) from the seed mixed with a stable hash of the
/// prompt, negative prompt and model. Different seeds change everything; different prompts
/// recolour and reshape the same seed.
struct ProceduralPattern: Sendable {
    let palette: PatternPalette
    let plasma: PatternPlasma
    /// In drawing order: glows, then discs, then rings.
    let shapes: [PatternShape]
    /// Darkening at the corners, in 1/256.
    let vignette: Int

    init(seed: UInt32, prompt: String, negativePrompt: String, modelName: String) {
        let layoutSeed = SplitMix64.mix(UInt64(seed) ^ 0x5EED_0F1A_7007_0001)
        var textHash = RenderHash.fnv1a64(prompt)
        textHash = RenderHash.fnv1a64([0xFF] + Array(negativePrompt.utf8), from: textHash)
        textHash = RenderHash.fnv1a64([0xFE] + Array(modelName.utf8), from: textHash)
        var layout = SplitMix64(seed: layoutSeed)
        var style = SplitMix64(seed: SplitMix64.mix(layoutSeed ^ textHash))

        palette = PatternPalette(random: &style)
        plasma = PatternPlasma(layout: &layout, style: &style)
        shapes = ProceduralPattern.makeShapes(layout: &layout, style: &style, palette: palette)
        vignette = layout.int(in: 56...120)
    }

    init(_ request: RenderRequest) {
        self.init(
            seed: request.seed, prompt: request.prompt, negativePrompt: request.negativePrompt,
            modelName: request.modelName)
    }

    /// Draws the pattern at `width × height`. With `helpers`, the lower half of the rows is drawn
    /// on that pool while the caller draws the upper half: every pixel is a function of its own
    /// coordinates, so the bytes are the same either way. Never pass the pool the caller runs on
    /// (its threads could all end up waiting for their own halves).
    func render(width: Int, height: Int, helpers: BlockingWorkPool? = nil) -> PixelBuffer {
        let rgb = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            let pixels = RowBands(pixels: buffer, width: width, height: height)
            // Below ~128 rows the hand-off costs more than the half it saves.
            if let helpers, height >= 128 {
                let split = height / 2
                let lower = Pending(on: helpers) { draw(pixels, rows: split..<height) }
                draw(pixels, rows: 0..<split)
                lower.take()
            } else {
                draw(pixels, rows: 0..<height)
            }
            count = width * height * 3
        }
        return PixelBuffer(width: width, height: height, rgb: rgb)
    }

    /// Draws rows `rows` completely: plasma, shapes, vignette.
    private func draw(_ band: RowBands, rows: Range<Int>) {
        let (pixels, width, height) = (band.pixels, band.width, band.height)
        plasma.fill(pixels, width: width, height: height, rows: rows, palette: palette)
        for shape in shapes {
            shape.draw(into: pixels, width: width, height: height, rows: rows)
        }
        applyVignette(pixels, width: width, height: height, rows: rows)
    }

    /// Four to eight shapes; sizes are fractions of the smaller side.
    private static func makeShapes(
        layout: inout SplitMix64, style: inout SplitMix64, palette: PatternPalette
    ) -> [PatternShape] {
        var byKind: [[PatternShape]] = [[], [], []]
        for _ in 0..<layout.int(in: 4...8) {
            let roll = layout.int(in: 0...99)
            let kind: PatternShape.Kind = roll < 30 ? .glow : roll < 75 ? .disc : .ring
            var radius = layout.int(in: 2600...14000)
            if kind == .glow { radius = radius * 8 / 5 }
            let shape = PatternShape(
                kind: kind,
                centerX: layout.int(in: 4000...61536),
                centerY: layout.int(in: 4000...61536),
                radius: radius,
                opacity: kind == .disc ? layout.int(in: 70...170) : layout.int(in: 120...230),
                color: shapeColor(kind: kind, style: &style, palette: palette))
            byKind[kind == .glow ? 0 : kind == .disc ? 1 : 2].append(shape)
        }
        return byKind.flatMap { $0 }
    }

    /// A palette colour, lifted towards white (glows and rings shine; discs are tinted glass).
    private static func shapeColor(
        kind: PatternShape.Kind, style: inout SplitMix64, palette: PatternPalette
    ) -> (Int, Int, Int) {
        let index = style.int(in: 0...(PatternPalette.size - 1)) * 3
        let lift = kind == .disc ? style.int(in: 0...60) : style.int(in: 110...200)
        func lifted(_ c: UInt8) -> Int { Int(c) + (((255 - Int(c)) * lift) >> 8) }
        return (lifted(palette.rgb[index]), lifted(palette.rgb[index + 1]), lifted(palette.rgb[index + 2]))
    }

    /// Darkens towards the corners by up to `vignette`/256, quadratic in the distance:
    /// `shade = 256 − ((column² + row²) · vignette) >> 17`, each byte times `shade`, over 256.
    private func applyVignette(
        _ pixels: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int, rows: Range<Int>
    ) {
        // The column term times `vignette`, once per channel byte: the row loop then only adds
        // and shifts 32-bit values and multiplies 16-bit ones (byte · shade ≤ 255 · 256), runs
        // straight over the bytes with no stride of three, and vectorises. ≤ 2^17 · 120 < 2^31.
        let amount = vignette
        let columns = (0..<width * 3).map { i in Int32(square((2 * (i / 3) + 1 - width) * 256 / width) * amount) }
        columns.withUnsafeBufferPointer { columns in
            let columns = columns.baseAddress!
            let base = pixels.baseAddress!
            let rowBytes = width * 3
            for y in rows {
                let row = Int32(square((2 * y + 1 - height) * 256 / height) * amount)
                let line = base + y * rowBytes
                for i in 0..<rowBytes {
                    let shade = UInt16(truncatingIfNeeded: 256 &- ((columns[i] &+ row) >> 17))  // 136...256
                    line[i] = UInt8(truncatingIfNeeded: (UInt16(line[i]) &* shade) >> 8)
                }
            }
        }
    }

    private func square(_ n: Int) -> Int { n * n }
}
