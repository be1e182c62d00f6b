import ImageCodecs

/// What an editor endpoint does, named as in the endpoint definitions ("operation": "cleanup").
enum ImageOperation: String, Sendable, CaseIterable {
    case cleanup
    case removeBackground = "remove-background"
    case replaceBackground = "replace-background"
    case removeText = "remove-text"
    case mergeFace = "merge-face"
    case reimagine
    case img2prompt
    case outpainting
}

// Placeholder until the operations land (replaced by their implementation).
struct OperationInput: Sendable {
    var images: [String: PixelBuffer]
    var fields: JSONObject
    var seed: UInt32
}

enum OperationOutput: Sendable {
    case image(OperationImage)
    case text(String)
}

struct OperationImage: Sendable {
    var pixels: PixelBuffer
    var alpha: [UInt8]?
}

struct OperationFailure: Error, Sendable {
    var field: String
    var message: String
}

extension ImageOperation {
    func run(_ input: OperationInput) throws(OperationFailure) -> OperationOutput {
        if self == .img2prompt { return .text("a picture") }
        guard let image = input.images["image_file"] else {
            throw OperationFailure(field: "image_file", message: "an image")
        }
        return .image(OperationImage(pixels: image, alpha: nil))
    }
}
