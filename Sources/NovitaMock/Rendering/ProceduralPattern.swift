import ImageCodecs

/// The seeded "generated image" placeholder: a palette-mapped plasma backdrop, a few soft
/// discs, rings and glows, and a vignette — smooth, colourful, and clearly different per seed.
///
/// Two random streams keep the roles apart, the way a diffusion seed fixes a composition:
/// the *layout* (wave directions, shape positions and sizes) comes from the seed alone, the
/// *style* (palette, wave phases, shape colours) from the seed mixed with a stable hash of the
/// prompt, negative prompt and model. Different seeds change everything; different prompts
/// recolour and reshape the same seed.
///
/// The smooth parts — the plasma and the glows — are drawn at a fraction of the size (the
/// *backdrop*, `backdropScale`) and stretched bilinearly; the discs' and rings' edges and the
/// vignette are drawn at full size on each stretched row while it is in cache, and the input of
/// an img2img is mixed in on the same pass, so the full-size image is written once.
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

    /// How many times smaller the backdrop is drawn than a `width × height` image: at most 4,
    /// keeping at least 128 backdrop pixels on the short side, where stretched backdrops showed
    /// no steps and differed from full-size drawing by under one level on average; images under
    /// 256 pixels are drawn at full size.
    static func backdropScale(width: Int, height: Int) -> Int {
        min(4, max(1, min(width, height) / 128))
    }

    /// Draws the pattern at `width × height`; with `input`, mixes it over that input stretched to
    /// the same size, `weight` out of `ImageRenderer.blendOne` pattern (what
    /// `ImageRenderer.blend` does, on the same pass). With `helpers`, the lower half of the rows
    /// is drawn on that pool while the caller draws the upper half: every row is a function of
    /// its own coordinates and the backdrop, so the bytes are the same either way. Never pass the
    /// pool the caller runs on (its threads could all end up waiting for their own halves).
    func render(
        width: Int, height: Int, over input: PixelBuffer? = nil, weight: Int = ImageRenderer.blendOne,
        helpers: BlockingWorkPool? = nil
    ) -> PixelBuffer {
        let scale = Self.backdropScale(width: width, height: height)
        let backdrop = ImageResampler.Plan(
            self.backdrop(width: (width + scale - 1) / scale, height: (height + scale - 1) / scale, helpers: helpers),
            width: width, height: height)
        let under = input.map { ImageResampler.Plan($0, width: width, height: height) }
        let sharp = shapes.filter { $0.kind != .glow }.map { $0.placed(width: width, height: height) }
        let shade = Vignette(amount: vignette, width: width, height: height)
        let rgb = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            let out = RowBands(pixels: buffer, width: width, height: height)
            BlockingWorkPool.inHalves(height, on: helpers) { rows in
                let pattern = ImageResampler.RowStream(backdrop)
                let below = under.map(ImageResampler.RowStream.init)
                var scratch = [UInt8](repeating: 0, count: below == nil ? 0 : width * 3)
                scratch.withUnsafeMutableBufferPointer { scratch in
                    for y in rows {
                        let line = out.row(y)
                        pattern.row(y, into: line)
                        for i in sharp.indices { sharp[i].draw(row: y, into: line, width: width) }
                        shade.apply(row: y, to: line)
                        if let below, let scratch = scratch.baseAddress {
                            below.row(y, into: scratch)
                            ImageRenderer.mix(line, over: scratch, count: width * 3, weight: weight)
                        }
                    }
                }
            }
            count = width * height * 3
        }
        return PixelBuffer(width: width, height: height, rgb: rgb)
    }

    /// The smooth layers at `width × height` (a fraction of the image): plasma, then glows.
    private func backdrop(width: Int, height: Int, helpers: BlockingWorkPool?) -> PixelBuffer {
        let glows = shapes.filter { $0.kind == .glow }.map { $0.placed(width: width, height: height) }
        let rgb = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
            let out = RowBands(pixels: buffer, width: width, height: height)
            BlockingWorkPool.inHalves(height, on: helpers) { rows in
                plasma.fill(out.pixels, width: width, height: height, rows: rows, palette: palette)
                for y in rows {
                    for glow in glows { glow.draw(row: y, into: out.row(y), width: width) }
                }
            }
            count = width * height * 3
        }
        return PixelBuffer(width: width, height: height, rgb: rgb)
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
}

/// The pattern's darkening towards the corners by up to `amount`/256, quadratic in the distance:
/// with `c = (column² · amount) >> 9` and `r = (row² · amount) >> 9` (column and row centred, in
/// 1/256 of the half-width and half-height), `shade = 256 − (c + r) >> 8`, each byte times
/// `shade`, over 256.
private struct Vignette: Sendable {
    /// `c` once per channel byte: a row then only adds, shifts and multiplies 16-bit values
    /// (c + r ≤ 2 · 65536 · 120 / 512 < 2^16; byte · shade ≤ 255 · 256), runs straight over the
    /// bytes with no stride of three, and vectorises eight bytes to an instruction.
    let columns: [UInt16]
    let amount: Int
    let height: Int

    init(amount: Int, width: Int, height: Int) {
        self.amount = amount
        self.height = height
        columns = (0..<width * 3).map { i in
            UInt16((Self.square((2 * (i / 3) + 1 - width) * 256 / width) * amount) >> 9)
        }
    }

    func apply(row y: Int, to line: UnsafeMutablePointer<UInt8>) {
        let row = UInt16((Self.square((2 * y + 1 - height) * 256 / height) * amount) >> 9)
        columns.withUnsafeBufferPointer { columns in
            for i in 0..<columns.count {
                let shade = 256 &- ((columns[i] &+ row) >> 8)  // 136...256
                line[i] = UInt8(truncatingIfNeeded: (UInt16(line[i]) &* shade) >> 8)
            }
        }
    }

    private static func square(_ n: Int) -> Int { n * n }
}
