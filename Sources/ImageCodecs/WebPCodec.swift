internal import CLibWebP

/// WebP through libwebp (lossy encode, advanced API) and libwebpmux (the EXIF chunk).
enum WebPCodec {
    /// Every WebPConfig field that shapes the bitstream, pinned to a value (libwebp 1.2.4's
    /// defaults except where noted) so a library default change cannot change our bytes.
    static func configuration() throws(ImageCodecError) -> WebPConfig {
        var config = WebPConfig()
        guard WebPConfigInit(&config) != 0 else { throw .encodingFailed("libwebp version mismatch") }
        config.lossless = 0
        config.quality = 90
        // Measured on 1024² mock images (libwebp 1.2.4): m2 43 ms, m4 ~100 ms, m6 ~240 ms, m2 files
        // no larger than m4. Methods 0 and 1 are no faster: below method 2 libwebp always runs its
        // analysis pass (a DCT histogram per macroblock, ~25 % of an encode), which it otherwise
        // runs only to place more than one segment.
        config.method = 2
        config.image_hint = WEBP_HINT_DEFAULT
        config.target_size = 0
        config.target_PSNR = 0
        // One segment skips that analysis: 25–40 % less time on three 1024² mock images (wall,
        // median of 15: 47 → 35, 73 → 39, 64 → 28 ms on a loaded 2-core machine) for files ~30 %
        // larger (26 → 35 KB) and PSNR 0.4–0.7 dB higher (45.7 → 46.4 dB); captions look the same.
        config.segments = 1
        config.sns_strength = 50
        config.filter_strength = 60
        config.filter_sharpness = 0
        config.filter_type = 1
        config.autofilter = 0
        config.alpha_compression = 1
        config.alpha_filtering = 1
        config.alpha_quality = 100
        config.pass = 1
        config.show_compressed = 0
        config.preprocessing = 0
        config.partitions = 0
        config.partition_limit = 0
        config.emulate_jpeg_size = 0
        // Single-threaded. thread_level 1 gives the same bytes (checked) but only splits the
        // analysis pass, which one segment skips; and requests already use the cores.
        config.thread_level = 0
        config.low_memory = 0
        config.near_lossless = 100
        config.exact = 0
        config.use_delta_palette = 0
        config.use_sharp_yuv = 0
        config.qmin = 0
        config.qmax = 100
        guard WebPValidateConfig(&config) != 0 else { throw .encodingFailed("invalid WebP configuration") }
        return config
    }

    static func decode(_ bytes: [UInt8], header: ImageHeader) throws(ImageCodecError) -> PixelBuffer {
        var features = WebPBitstreamFeatures()
        let status = bytes.withUnsafeBufferPointer { input in
            WebPGetFeatures(input.baseAddress, input.count, &features)
        }
        switch status {
        case VP8_STATUS_OK: break
        case VP8_STATUS_NOT_ENOUGH_DATA: throw .truncated(.webp)
        default: throw .corrupt(.webp, "bitstream header rejected (VP8 status \(status.rawValue))")
        }
        guard features.has_animation == 0 else { throw .corrupt(.webp, "animated WebP is not supported") }
        guard Int(features.width) == header.width, Int(features.height) == header.height else {
            throw .corrupt(.webp, "bitstream size differs from the checked header")
        }
        let count = header.width * header.height * 3
        var rgb = [UInt8](repeating: 0, count: count)
        let decoded = rgb.withUnsafeMutableBufferPointer { output in
            bytes.withUnsafeBufferPointer { input in
                WebPDecodeRGBInto(input.baseAddress, input.count, output.baseAddress, count, Int32(header.width * 3))
            }
        }
        guard decoded != nil else { throw .corrupt(.webp, "bitstream could not be decoded") }
        return PixelBuffer(width: header.width, height: header.height, rgb: rgb)
    }

    /// Encodes `image` lossy; with `alpha` (one byte per pixel) the file is VP8X with an `ALPH`
    /// chunk, compressed losslessly (`alpha_quality` 100) so the edges come back as they were.
    static func encode(_ image: PixelBuffer, alpha: [UInt8]? = nil, parameters: ParametersText)
        throws(ImageCodecError) -> [UInt8]
    {
        guard image.width <= Int(WEBP_MAX_DIMENSION), image.height <= Int(WEBP_MAX_DIMENSION) else {
            throw .encodingFailed("WebP dimensions are limited to \(WEBP_MAX_DIMENSION)")
        }
        var config = try configuration()

        var picture = WebPPicture()
        guard WebPPictureInit(&picture) != 0 else { throw .encodingFailed("libwebp version mismatch") }
        picture.use_argb = 0
        picture.width = Int32(image.width)
        picture.height = Int32(image.height)
        let imported: Int32
        if let alpha {
            let rgba = AlphaPlane.interleave(image, alpha: alpha)
            imported = rgba.withUnsafeBufferPointer { pixels in
                WebPPictureImportRGBA(&picture, pixels.baseAddress, Int32(image.width * 4))
            }
        } else {
            imported = image.rgb.withUnsafeBufferPointer { pixels in
                WebPPictureImportRGB(&picture, pixels.baseAddress, Int32(image.width * 3))
            }
        }
        defer { WebPPictureFree(&picture) }
        guard imported != 0 else { throw .encodingFailed("WebP import failed (out of memory)") }

        // The writer is on the heap: libwebp keeps its address in the picture during the encode.
        let writer = UnsafeMutablePointer<WebPMemoryWriter>.allocate(capacity: 1)
        writer.initialize(to: WebPMemoryWriter())
        WebPMemoryWriterInit(writer)
        defer {
            WebPMemoryWriterClear(writer)
            writer.deallocate()
        }
        picture.writer = WebPMemoryWrite
        picture.custom_ptr = UnsafeMutableRawPointer(writer)
        guard WebPEncode(&config, &picture) != 0 else {
            throw .encodingFailed("WebPEncode failed (error \(picture.error_code.rawValue))")
        }
        let encoded = UnsafeBufferPointer(start: writer.pointee.mem, count: writer.pointee.size)
        if parameters.text.isEmpty { return Array(encoded) }
        return try addEXIF(ExifUserComment.tiffBlock(for: parameters), to: encoded)
    }

    /// Re-wraps a simple-format WebP as VP8X with an `EXIF` chunk (raw TIFF, no "Exif\0\0").
    private static func addEXIF(_ tiff: [UInt8], to encoded: UnsafeBufferPointer<UInt8>) throws(ImageCodecError)
        -> [UInt8]
    {
        var bitstream = WebPData(bytes: encoded.baseAddress, size: encoded.count)
        guard let mux = WebPMuxCreate(&bitstream, 0) else { throw .encodingFailed("WebPMuxCreate failed") }
        defer { WebPMuxDelete(mux) }
        let setStatus = tiff.withUnsafeBufferPointer { block in
            var chunk = WebPData(bytes: block.baseAddress, size: block.count)
            return WebPMuxSetChunk(mux, "EXIF", &chunk, 1)
        }
        guard setStatus == WEBP_MUX_OK else { throw .encodingFailed("WebPMuxSetChunk failed (\(setStatus.rawValue))") }
        var assembled = WebPData()
        WebPDataInit(&assembled)
        defer { WebPDataClear(&assembled) }
        let assembleStatus = WebPMuxAssemble(mux, &assembled)
        guard assembleStatus == WEBP_MUX_OK, let bytes = assembled.bytes else {
            throw .encodingFailed("WebPMuxAssemble failed (\(assembleStatus.rawValue))")
        }
        return Array(UnsafeBufferPointer(start: bytes, count: assembled.size))
    }
}
