internal import CTurboJPEG

/// JPEG through libjpeg-turbo's TurboJPEG API (error codes, no setjmp needed on this side).
enum JPEGCodec {
    /// Accurate integer DCT both ways: bit-exact across libjpeg-turbo's SIMD and C paths
    /// (TurboJPEG's compressor would otherwise default to the fast DCT). LIMITSCANS bounds the
    /// work a hostile progressive file can cause. Warnings (e.g. extraneous bytes) are not fatal.
    static let decodeFlags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS
    /// Measured on a 1024² mock image (TurboJPEG 2.1.5, CPU, median of 15): 4:2:0 accurate 3.9 ms,
    /// 63 KB, PSNR 46.4 dB; the fast DCT is no faster (4.2 ms, 65 KB, 46.2 dB), so the accurate
    /// one stays; 4:4:4 costs 7.2 ms and 90 KB for 48.3 dB and cleaner caption edges seen at 4×,
    /// which at 1× look the same: 4:2:0, as most generators serve JPEG.
    static let encodeFlags = TJFLAG_ACCURATEDCT
    static let subsampling = TJSAMP_420
    static let quality: Int32 = 90

    static func decode(_ bytes: [UInt8], header: ImageHeader) throws(ImageCodecError) -> PixelBuffer {
        guard let handle = tjInitDecompress() else { throw .corrupt(.jpeg, "TurboJPEG could not start") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        let headerStatus = bytes.withUnsafeBufferPointer { input in
            tjDecompressHeader3(
                handle, input.baseAddress, UInt(input.count), &width, &height, &subsampling, &colorspace)
        }
        guard headerStatus == 0 else { throw .corrupt(.jpeg, errorText(handle)) }
        guard Int(width) == header.width, Int(height) == header.height else {
            throw .corrupt(.jpeg, "frame size differs from the checked header")
        }
        let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let pixelCount = header.width * header.height
        let channels = isCMYK ? 4 : 3
        let format = isCMYK ? TJPF_CMYK : TJPF_RGB
        var decoded = [UInt8](repeating: 0, count: pixelCount * channels)
        let status = decoded.withUnsafeMutableBufferPointer { output in
            bytes.withUnsafeBufferPointer { input in
                tjDecompress2(
                    handle, input.baseAddress, UInt(input.count), output.baseAddress, width, 0, height,
                    Int32(format.rawValue), decodeFlags)
            }
        }
        // On a mere warning TurboJPEG has still written every pixel.
        if status != 0, tjGetErrorCode(handle) != Int32(TJERR_WARNING.rawValue) {
            throw .corrupt(.jpeg, errorText(handle))
        }
        if isCMYK {
            decoded = rgb(fromInvertedCMYK: decoded, pixelCount: pixelCount)
        }
        return PixelBuffer(width: header.width, height: header.height, rgb: decoded)
    }

    /// CMYK JPEGs come almost only from Adobe software, which stores inverted CMYK
    /// (255 = no ink); like Chromium/Skia, assume that: R = C·K/255, and so on.
    private static func rgb(fromInvertedCMYK cmyk: [UInt8], pixelCount: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: pixelCount * 3) { output, initialized in
            for index in 0..<pixelCount {
                let k = UInt32(cmyk[index * 4 + 3])
                for channel in 0..<3 {
                    output[index * 3 + channel] = UInt8((UInt32(cmyk[index * 4 + channel]) * k + 127) / 255)
                }
            }
            initialized = pixelCount * 3
        }
    }

    static func encode(_ image: PixelBuffer, parameters: ParametersText) throws(ImageCodecError) -> [UInt8] {
        guard image.width <= 65_500, image.height <= 65_500 else {
            throw .encodingFailed("JPEG dimensions are limited to 65500")
        }
        guard let handle = tjInitCompress() else { throw .encodingFailed("TurboJPEG could not start") }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var length: UInt = 0
        let status = image.rgb.withUnsafeBufferPointer { pixels in
            tjCompress2(
                handle, pixels.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                &output, &length, Int32(subsampling.rawValue), quality, encodeFlags)
        }
        defer { tjFree(output) }
        guard status == 0, let output, length >= 2 else {
            throw .encodingFailed("TurboJPEG: \(errorText(handle))")
        }
        let jpeg = UnsafeBufferPointer(start: output, count: Int(length))
        guard jpeg[0] == 0xFF, jpeg[1] == 0xD8 else { throw .encodingFailed("TurboJPEG output lacks SOI") }
        if parameters.text.isEmpty { return Array(jpeg) }

        // APP1 "Exif\0\0" + TIFF, spliced in right after SOI.
        let payload = ExifUserComment.exifHeader + ExifUserComment.tiffBlock(for: parameters)
        let segmentLength = payload.count + 2
        var result: [UInt8] = []
        result.reserveCapacity(jpeg.count + segmentLength + 2)
        result += [0xFF, 0xD8, 0xFF, 0xE1, UInt8(segmentLength >> 8), UInt8(segmentLength & 0xFF)]
        result += payload
        result += jpeg[2...]
        return result
    }

    private static func errorText(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
        return String(cString: text)
    }
}
