/// The pattern in motion, for video frames: the plasma's waves drift (a phase shift per frame)
/// and each shape circles its place, so frame `n` is a pure function of the seed and `n`.
extension ProceduralPattern {
    /// Frames per full turn of the slowest motion: long enough to look calm at 6 fps, short
    /// enough that a two-second clip visibly moves.
    static let motionPeriod = 48

    init(pattern: ProceduralPattern, frame: Int) {
        let step = 65536 / Self.motionPeriod
        var plasma = pattern.plasma
        // Different speeds and directions per wave, so the plasma flows rather than blinks.
        plasma.columnWave.phase &+= frame &* step
        plasma.rowWave.phase &-= frame &* step / 2
        plasma.bentByRows.phase &+= frame &* step * 3 / 4
        plasma.bentByColumns.warpPhase &+= frame &* step / 3
        let shapes = PatternSine.table.withUnsafeBufferPointer { sine in
            pattern.shapes.enumerated().map { index, shape in
                var moved = shape
                // Each shape orbits its place: radius ~4 % of the image, its own start angle.
                let angle = frame &* step &+ index &* 11_000
                moved.centerX = shape.centerX + (PatternSine.value(at: angle, in: sine) * 2600) / PatternSine.amplitude
                moved.centerY =
                    shape.centerY + (PatternSine.value(at: angle &+ 16384, in: sine) * 2600) / PatternSine.amplitude
                return moved
            }
        }
        self.init(palette: pattern.palette, plasma: plasma, shapes: shapes, vignette: pattern.vignette)
    }

    private init(palette: PatternPalette, plasma: PatternPlasma, shapes: [PatternShape], vignette: Int) {
        self.palette = palette
        self.plasma = plasma
        self.shapes = shapes
        self.vignette = vignette
    }
}
