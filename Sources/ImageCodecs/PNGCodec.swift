internal import CImageShims

/// PNG through libpng, and decoding through the fast decoder first; the setjmp error handling lives in
/// the CImageShims C functions.
enum PNGCodec {
    private static let messageCapacity = 256

    /// The fast decoder (`cis_png_decode_rgb8_fast`) for the 8-bit RGB and RGBA files it takes, libpng
    /// for every other file and for anything the fast one does not find plainly valid: the files
    /// accepted, the bytes and the error messages are libpng's either way.
    static func decode(_ bytes: [UInt8], header: ImageHeader) throws(ImageCodecError) -> PixelBuffer {
        if let pixels = decodeFast(bytes, header: header) { return pixels }
        return try decodeWithLibpng(bytes, header: header)
    }

    /// The fast decoder alone: nil when it declines the file.
    static func decodeFast(_ bytes: [UInt8], header: ImageHeader) -> PixelBuffer? {
        let count = header.width * header.height * 3
        var status: Int32 = 0
        let rgb = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            status = bytes.withUnsafeBufferPointer { input in
                cis_png_decode_rgb8_fast(
                    input.baseAddress, input.count, UInt32(header.width), UInt32(header.height), output.baseAddress,
                    count)
            }
            initialized = status == CIS_OK ? count : 0
        }
        guard status == CIS_OK else { return nil }
        return PixelBuffer(width: header.width, height: header.height, rgb: rgb)
    }

    /// libpng alone (`cis_png_decode_rgb8`): every PNG, and the errors.
    static func decodeWithLibpng(_ bytes: [UInt8], header: ImageHeader) throws(ImageCodecError) -> PixelBuffer {
        let count = header.width * header.height * 3
        var message = [CChar](repeating: 0, count: messageCapacity)
        var status: Int32 = 0
        let rgb = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            status = bytes.withUnsafeBufferPointer { input in
                cis_png_decode_rgb8(
                    input.baseAddress, input.count, UInt32(header.width), UInt32(header.height),
                    output.baseAddress, count, &message, messageCapacity)
            }
            if status == CIS_OK {
                initialized = count
            } else {
                initialized = 0
            }
        }
        guard status == CIS_OK else {
            let text = cString(message)
            throw .corrupt(.png, text.isEmpty ? "libpng error \(status)" : text)
        }
        return PixelBuffer(width: header.width, height: header.height, rgb: rgb)
    }

    /// Encodes `image` as RGB, or as RGBA (colour type 6) when `alpha` (one byte per pixel) is given.
    static func encode(
        _ image: PixelBuffer, alpha: [UInt8]? = nil, parameters: ParametersText, compression: PNGCompression
    ) throws(ImageCodecError) -> [UInt8] {
        guard image.width <= Int(Int32.max), image.height <= Int(Int32.max) else {
            throw .encodingFailed("image too large for PNG")
        }
        if compression.deflater == .segmentedHuffman,
            ![PNGCompression.Filters.none, .sub, .up].contains(compression.filters)
        {
            throw .encodingFailed("the segmented deflater takes exactly one of the None, Sub and Up filters")
        }
        guard (0...9).contains(compression.level) else {
            throw .encodingFailed("PNG compression level \(compression.level) is not 0…9")
        }
        var settings = cis_png_write_settings(
            compression_level: Int32(compression.level), compression_strategy: compression.strategy.rawValue,
            mem_level: PNGCompression.memLevel, window_bits: PNGCompression.windowBits,
            filters: compression.filters.rawValue, idat_size: PNGCompression.idatSize)
        // Latin-1 text goes in tEXt; anything else in iTXt as UTF-8. Empty text: no chunk at all.
        let text: [UInt8]?
        let isUTF8: Int32
        if parameters.text.isEmpty {
            (text, isUTF8) = (nil, 0)
        } else if let latin1 = parameters.latin1 {
            (text, isUTF8) = (latin1 + [0], 0)
        } else {
            (text, isUTF8) = (Array(parameters.text.utf8) + [0], 1)
        }
        var message = [CChar](repeating: 0, count: messageCapacity)
        var output: UnsafeMutablePointer<UInt8>?
        var length = 0
        let status: Int32
        if compression.deflater == .segmentedHuffman {
            let rgba = alpha.map { AlphaPlane.interleave(image, alpha: $0) }
            let channels: Int32 = rgba == nil ? 3 : 4
            status = (rgba ?? image.rgb).withUnsafeBufferPointer { pixels in
                withOptionalCString(text) { textPointer in
                    cis_png_encode_segmented(
                        pixels.baseAddress, channels, UInt32(image.width), UInt32(image.height), &settings, 0,
                        textPointer, isUTF8, &output, &length, &message, messageCapacity)
                }
            }
        } else if let alpha {
            let rgba = AlphaPlane.interleave(image, alpha: alpha)
            status = rgba.withUnsafeBufferPointer { pixels in
                withOptionalCString(text) { textPointer in
                    cis_png_encode_rgba8(
                        pixels.baseAddress, UInt32(image.width), UInt32(image.height), &settings, textPointer,
                        isUTF8, &output, &length, &message, messageCapacity)
                }
            }
        } else {
            status = image.rgb.withUnsafeBufferPointer { pixels in
                withOptionalCString(text) { textPointer in
                    cis_png_encode_rgb8(
                        pixels.baseAddress, UInt32(image.width), UInt32(image.height), &settings, textPointer,
                        isUTF8, &output, &length, &message, messageCapacity)
                }
            }
        }
        defer { cis_free(output) }
        guard status == CIS_OK, let output else {
            let text = cString(message)
            let encoder = compression.deflater == .zlib ? "libpng" : "PNG encoder"
            throw .encodingFailed(text.isEmpty ? "\(encoder) error \(status)" : "\(encoder): \(text)")
        }
        return Array(UnsafeBufferPointer(start: output, count: length))
    }

    /// The NUL-terminated text in a message buffer the C side filled.
    private static func cString(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func withOptionalCString<R>(_ bytes: [UInt8]?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let bytes else { return body(nil) }
        return bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress) }
        }
    }
}
