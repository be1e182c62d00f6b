import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

/// Writes every operation's output for the photo-like input to `$OPERATION_GALLERY_DIR` as PNG,
/// to look at (nothing asserted beyond "it ran"), at `$OPERATION_GALLERY_SIZE` (e.g. `1024x768`,
/// default 768x512). Off unless the directory is set.
@Suite(
    "Operation gallery (written, not asserted)",
    .enabled(if: ProcessInfo.processInfo.environment["OPERATION_GALLERY_DIR"] != nil))
struct OperationGalleryTests {
    @Test func writeGallery() throws {
        let directory = URL(fileURLWithPath: ProcessInfo.processInfo.environment["OPERATION_GALLERY_DIR"]!)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let size = (ProcessInfo.processInfo.environment["OPERATION_GALLERY_SIZE"] ?? "768x512").split(separator: "x")
        let (width, height) = (Int(size[0]) ?? 768, Int(size[1]) ?? 512)
        let photo = OperationTestImages.photo(width: width, height: height)
        let mask = OperationTestImages.headMask(width: width, height: height)
        let face = OperationTestImages.face(width: 300, height: 360)
        func write(_ name: String, _ image: PixelBuffer, alpha: [UInt8]? = nil) throws {
            let bytes =
                try alpha.map { try ImageEncoder.encode(image, alpha: $0, as: .png, parameters: "") }
                ?? ImageEncoder.encode(image, as: .png, parameters: "")
            try Data(bytes).write(to: directory.appendingPathComponent("\(name).png"))
        }
        try write("input", photo)
        try write("input-mask", mask)
        try write("input-face", face)
        var fields: JSONObject = ["prompt": "a harbour at sunset, oil painting", "negative_prompt": "blurry"]
        for operation in ImageOperation.allCases {
            if operation == .outpainting {
                fields["width"] = 1024
                fields["height"] = 768
                fields["center_x"] = -80
                fields["center_y"] = 60
            }
            let input = OperationInput(
                images: ["image_file": photo, "mask_file": mask, "face_image_file": face], fields: fields, seed: 4242)
            switch try operation.run(input) {
            case .image(let image): try write(operation.rawValue, image.pixels, alpha: image.alpha)
            case .text(let text):
                try Data(text.utf8).write(to: directory.appendingPathComponent("\(operation.rawValue).txt"))
            }
        }
    }
}
