// Harness (b): image header inspection, then decoding when the header passes (PNG, JPEG, WebP:
// the codec is chosen by signature, as the service does). Oracle: no crash or memory error
// (AddressSanitizer), and a decoded image has the size its header announced.
import FuzzSupport

@_cdecl("fuzz_image_main")
public func harnessMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzTestOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = ImageInspector.format(of: bytes)
    let header: ImageHeader
    do {
        header = try ImageInspector.inspect(bytes, maxPixels: 16_777_216)
    } catch {
        return 0
    }
    guard header.width > 0, header.height > 0, header.pixelCount <= 16_777_216 else {
        Fuzz.fail("inspect passed a header of \(header.width)×\(header.height)")
    }
    do {
        let pixels = try ImageDecoder.decode(bytes, maxPixels: 16_777_216)
        guard pixels.width == header.width, pixels.height == header.height,
            pixels.rgb.count == pixels.width * pixels.height * 3
        else {
            Fuzz.fail(
                "\(header.format) header says \(header.width)×\(header.height), decoded \(pixels.width)×\(pixels.height) with \(pixels.rgb.count) bytes"
            )
        }
    } catch {
        return 0
    }
    return 0
}
