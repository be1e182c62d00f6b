import ImageCodecs

/// `adetailer`: each input image with its face repainted — inpainting (`InpaintingOperation`)
/// inside a centred ellipse where a portrait's face sits, at `strength` (the Python SDK's 0.3 by
/// default). Image `index` of the task is input image `index`; pixels outside the ellipse are the
/// input's.
enum AdetailerOperation {
    /// The ellipse's width and height in percent of the image's shorter side.
    static let faceWidthPercent = 40
    static let faceHeightPercent = 52
    /// `strength` when the request has none (the Python SDK's default).
    static let defaultStrength = 0.3

    static func run(_ input: OperationInput, index: Int) throws(OperationFailure) -> OperationOutput {
        let inputs = images(input)
        guard !inputs.isEmpty else { throw OperationFailure(field: "image_assets_ids", message: "is required") }
        let image = inputs[index % inputs.count]
        var fields = input.fields
        if fields["strength"]?.doubleValue == nil { fields["strength"] = .number(JSONNumber(defaultStrength)) }
        return try InpaintingOperation.run(
            OperationInput(images: ["image": image, "mask": faceMask(image)], fields: fields, seed: input.seed),
            index: index, imageField: "image", maskField: "mask")
    }

    /// The request's images in order, whether they came by assets id or by URL.
    static func images(_ input: OperationInput) -> [PixelBuffer] {
        for field in ["image_assets_ids", "image_urls"] {
            var found: [PixelBuffer] = []
            while let image = input.images["\(field)[\(found.count)]"] { found.append(image) }
            if !found.isEmpty { return found }
        }
        return []
    }

    /// White inside the centred face ellipse, black elsewhere.
    static func faceMask(_ image: PixelBuffer) -> PixelBuffer {
        let (width, height) = (image.width, image.height)
        let side = min(width, height)
        let a = max(1, side * faceWidthPercent / 100)
        let b = max(1, side * faceHeightPercent / 100)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        // In half pixels: (2x + 1 − w)² / a² + (2y + 1 − h)² / b² ≤ 1.
        for y in 0..<height {
            let dy = 2 * y + 1 - height
            for x in 0..<width {
                let dx = 2 * x + 1 - width
                if dx * dx * b * b + dy * dy * a * a <= a * a * b * b {
                    let o = (y * width + x) * 3
                    rgb[o] = 255
                    rgb[o + 1] = 255
                    rgb[o + 2] = 255
                }
            }
        }
        return PixelBuffer(width: width, height: height, rgb: rgb)
    }
}
