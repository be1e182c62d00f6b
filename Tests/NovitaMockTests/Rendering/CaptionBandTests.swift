import ImageCodecs
import Testing

@testable import NovitaMock

@Suite struct CaptionBandTests {
    @Test func fontHasEveryPrintableAsciiGlyphAndTheMiddleDot() {
        #expect(BitmapFont.rows.count == 96 * BitmapFont.glyphHeight)
        #expect(BitmapFont.rows.allSatisfy { $0 < 32 })
        #expect(BitmapFont.glyphIndex(for: "A") == 33)
        #expect(BitmapFont.glyphIndex(for: "\u{B7}") == BitmapFont.middleDotIndex)
        #expect(BitmapFont.glyphIndex(for: "é") == BitmapFont.glyphIndex(for: "?"))
        // Every visible character has at least one pixel set; the space has none.
        for index in 1..<96 {
            #expect((0..<BitmapFont.glyphHeight).contains { BitmapFont.row($0, ofGlyph: index) != 0 })
        }
        #expect((0..<BitmapFont.glyphHeight).allSatisfy { BitmapFont.row($0, ofGlyph: 0) == 0 })
    }

    @Test(arguments: [(128, 1), (256, 1), (512, 2), (1024, 3), (2048, 6)])
    func scaleGrowsWithTheImage(_ c: (Int, Int)) {
        #expect(CaptionBand.scale(width: c.0, height: c.0) == c.1)
    }

    @Test(arguments: [(128, 128), (512, 512), (2048, 2048), (768, 320), (16, 16)])
    func layoutFitsTheImage(_ size: (Int, Int)) {
        let layout = CaptionBand.layout(width: size.0, height: size.1)
        #expect(layout.bandTop >= 0 && layout.bandTop < size.1)
        #expect(layout.firstBaseline >= layout.bandTop)
        if size.1 >= 64 {
            // Both lines, shadow included, end inside the image.
            #expect(layout.secondBaseline + (BitmapFont.glyphHeight + 1) * layout.scale <= size.1)
            #expect(size.1 - layout.bandTop >= size.1 / 10)
        }
    }

    @Test func longLinesAreCutWithDots() {
        let glyphs = CaptionBand.glyphs("abcdefghij")
        let dot = BitmapFont.glyphIndex(for: ".")
        #expect(CaptionBand.fitted(glyphs, columns: 20) == glyphs)
        #expect(CaptionBand.fitted(glyphs, columns: 10) == glyphs)
        #expect(CaptionBand.fitted(glyphs, columns: 6) == CaptionBand.glyphs("abc") + [dot, dot, dot])
        #expect(CaptionBand.fitted(glyphs, columns: 2) == [dot, dot])
        #expect(CaptionBand.fitted(glyphs, columns: 0) == [])
    }

    @Test func controlAndNonAsciiCharactersAreMapped() {
        #expect(CaptionBand.glyphs("a\nb") == CaptionBand.glyphs("a b"))
        #expect(CaptionBand.glyphs("ü漢") == CaptionBand.glyphs("??"))
    }

    @Test func bandDarkensAndShowsLightText() {
        var image = PixelBuffer(width: 256, height: 256, fill: (128, 128, 128))
        CaptionBand(title: "HELLO", details: ["seed 1 \u{B7} #0 \u{B7} 256x256"]).draw(into: &image)
        let layout = CaptionBand.layout(width: 256, height: 256)
        let top = layout.bandTop
        #expect(image.rgb[0..<(top * 256 * 3)].allSatisfy { $0 == 128 })
        let band = image.rgb[(top * 256 * 3)...]
        #expect(band.contains(255))  // white title text
        #expect(band.contains(UInt8((128 * CaptionBand.backgroundKeep) >> 8)))  // darkened background
        #expect(!band.contains(128))
    }

    @Test func smallImagesGetTheShortDetailLine() {
        let details = ImageRenderer.details(seed: "4294967295", index: 3, width: 128, height: 128)
        let columns = CaptionBand.layout(width: 128, height: 128).columns
        #expect(CaptionBand.glyphs(details[0]).count > columns)
        #expect(details.contains { CaptionBand.glyphs($0).count <= columns })
    }
}
