import ImageCodecs

/// Produces the encoded bytes of a task's images: decode the input, render, encode with the
/// generation parameters embedded, through the cache.
struct ImageService: Sendable {
    let cache: ImageCache
    let inputs: InputImageStore

    static func cacheKey(taskID: String, index: Int) -> String { "\(taskID)/\(index)" }

    /// The encoded image `index` of `record` (rendered now if not cached).
    func image(of record: TaskRecord, index: Int) throws(RenderFailure) -> EncodedImage {
        try cache.image(for: Self.cacheKey(taskID: record.id, index: index)) { () throws(RenderFailure) -> [UInt8] in
            try Self.render(record, index: index, inputBytes: record.inputKey.flatMap(inputs.get))
        }
    }

    /// Rendering as a pure function of the task's inputs (docs/contract.md §7).
    static func render(_ record: TaskRecord, index: Int, inputBytes: [UInt8]?) throws(RenderFailure) -> [UInt8] {
        let p = record.parameters
        if p.kind == .edit {
            return try renderEdit(record, index: index, inputBytes: inputBytes)
        }
        var input: PixelBuffer?
        if let inputBytes {
            do {
                input = try ImageDecoder.decode(inputBytes, maxPixels: 16_777_216)
            } catch {
                throw RenderFailure(message: "the input image could not be decoded: \(error)")
            }
        }
        let pixels: PixelBuffer
        if p.kind == .upscale, let input {
            pixels = ImageRenderer.upscale(input, factor: p.scaleFactor ?? 2, caption: p.modelName)
        } else {
            let request = RenderRequest(
                seed: p.seed(ofImage: index), index: index, width: p.width, height: p.height, prompt: p.prompt,
                negativePrompt: p.negativePrompt, modelName: p.modelName, strength: p.kind == .img2img ? p.strength : 1)
            pixels = ImageRenderer.render(request, input: p.kind == .img2img ? input : nil)
        }
        do {
            return try ImageEncoder.encode(pixels, as: p.format, parameters: parametersText(p, index: index))
        } catch {
            throw RenderFailure(message: "the image could not be encoded: \(error)")
        }
    }

    /// An editor's operation run as a task: the same pixels its synchronous endpoint answers,
    /// from the stored input (one image, or an `InputBundle` of them by field name) and the
    /// request kept with the task (images elided). Image `index` uses the seed of that image.
    static func renderEdit(_ record: TaskRecord, index: Int = 0, inputBytes: [UInt8]?) throws(RenderFailure)
        -> [UInt8]
    {
        let p = record.parameters
        guard let name = p.operation, let inputBytes else {
            throw RenderFailure(message: "the task has no operation or input image to edit")
        }
        var images: [String: PixelBuffer] = [:]
        for (field, bytes) in InputBundle.decode(inputBytes) ?? [("image_file", inputBytes)] {
            do {
                images[field] = try ImageDecoder.decode(bytes, maxPixels: 16_777_216)
            } catch {
                throw RenderFailure(message: "the input image \(field) could not be decoded: \(error)")
            }
        }
        var fields = (try? JSONParser.parse(record.requestSummary))?.objectValue ?? JSONObject()
        // `{extra, request}` bodies keep the fields in `request`.
        if let request = fields["request"]?.objectValue { fields = request }
        let seed = p.seed(ofImage: index)
        let input = OperationInput(images: images, fields: fields, seed: seed)
        do {
            let output: OperationOutput
            if let operation = ImageOperation(rawValue: name) {
                output = try operation.run(input)
            } else if let operation = NativeImageOperation(rawValue: name) {
                output = try operation.run(input, index: index)
            } else {
                throw RenderFailure(message: "no operation named \(name)")
            }
            guard case .image(let image) = output else {
                throw RenderFailure(message: "\(name) does not make an image")
            }
            let parameters = "\(name)\nSeed: \(seed), Size: \(image.pixels.width)x\(image.pixels.height)"
            return try EditorOutput.encode(image, as: p.format, parameters: parameters)
        } catch let failure as RenderFailure {
            throw failure
        } catch {
            throw RenderFailure(message: "\(name) failed: \(error)")
        }
    }

    /// The AUTOMATIC1111 `parameters` text that image tools read.
    static func parametersText(_ p: GenerationParameters, index: Int) -> String {
        var text = p.prompt
        if !p.negativePrompt.isEmpty { text += "\nNegative prompt: \(p.negativePrompt)" }
        var fields = [
            "Steps: \(p.steps)", "Sampler: \(p.samplerName)", "CFG scale: \(formatNumber(p.guidanceScale))",
            "Seed: \(p.seed(ofImage: index))", "Size: \(p.width)x\(p.height)", "Model: \(p.modelName)",
        ]
        if p.kind == .img2img { fields.append("Denoising strength: \(formatNumber(p.strength))") }
        if p.kind == .upscale {
            return "Upscaler: \(p.modelName), Scale: \(formatNumber(p.scaleFactor ?? 2)), Size: \(p.width)x\(p.height)"
        }
        return text + "\n" + fields.joined(separator: ", ")
    }

    static func formatNumber(_ value: Double) -> String {
        if value.rounded() == value && abs(value) < 1e9 { return String(Int(value)) }
        return String(value)
    }
}
