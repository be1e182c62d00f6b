import ImageCodecs

/// The third-party image generators (FLUX, Seedream, Qwen, Hunyuan, GLM, Z-Image; docs/contract.md
/// §12): one operation, `third-party-image`, for every such definition. It reads the request by
/// the field names these models share (docs/endpoints.md): the size from `size`, `width`/`height`
/// or `aspect_ratio`; input images by URL from `images` or `image`; the count from `num_images`,
/// `image_num` or Seedream's `max_images`; the format from `output_format` or
/// `response_image_format`. With input images the output is those images side by side, stretched
/// to the output size and blended with the seeded pattern; without, the pattern alone. The
/// caption band names the prompt, seed, index and size either way.
enum ThirdPartyImage {
    static let operation = "third-party-image"

    /// How much of the seeded pattern covers the inputs of an edit (0 = the inputs, 1 = pattern).
    static let editStrength = 0.4

    /// What a request asks for.
    struct Plan: Sendable, Equatable {
        var width: Int
        var height: Int
        var count: Int
        var format: ImageFormat
        var steps: Int
        var guidanceScale: Double
        var prompt: String
        var negativePrompt: String
        /// Input images by URL, in the order given.
        var imageURLs: [String]
        /// Neither the request nor the definition names a size: the output takes the first input's.
        var sizeFromInput: Bool
        /// The model's name as the caption and the PNG parameters show it (the path's last segment).
        var modelName: String
    }

    /// The plan of a validated request body.
    static func plan(_ definition: EndpointDefinition, request: JSONObject) -> Plan {
        let schema = definition.schema
        func value(_ key: String) -> JSONValue? {
            if let given = request[key], !given.isNull { return given }
            return schema.rule(named: key)?.documentedDefault
        }
        func given(_ key: String) -> JSONValue? {
            guard let given = request[key], !given.isNull else { return nil }
            return given
        }
        var urls: [String] = []
        for key in ["images", "image"] {
            switch given(key) {
            case .string(let url)?: urls.append(url)
            case .array(let items)?: urls += items.compactMap(\.stringValue)
            default: break
            }
        }
        var size: (Int, Int)?
        if let text = given("size")?.stringValue {
            size = dimensions(text, rule: schema.rule(named: "size"))
        } else if let width = given("width")?.integerValue, let height = given("height")?.integerValue {
            size = (Int(width), Int(height))
        } else if let ratio = given("aspect_ratio")?.stringValue {
            size = aspectSize(ratio)
        }
        var sizeFromInput = false
        if size == nil {
            if !urls.isEmpty && schema.rule(named: "size")?.documentedDefault == nil {
                sizeFromInput = true
            } else if let text = value("size")?.stringValue {
                size = dimensions(text, rule: schema.rule(named: "size"))
            } else if let width = value("width")?.integerValue, let height = value("height")?.integerValue {
                size = (Int(width), Int(height))
            }
        }
        let (width, height) = size ?? (1024, 1024)

        var count = Int(value("num_images")?.integerValue ?? value("image_num")?.integerValue ?? 1)
        if value("sequential_image_generation")?.stringValue == "auto" {
            // Seedream's group mode: up to max_images, with the references counted in its 15.
            let requested =
                value("max_images")?.integerValue
                ?? given("sequential_image_generation_options")?.objectValue?["max_images"]?.integerValue ?? 15
            count = max(1, min(Int(requested), 15 - urls.count))
        }
        let formatName =
            value("output_format")?.stringValue ?? value("response_image_format")?.stringValue ?? "png"
        let last = definition.path.split(separator: "/").last.map(String.init) ?? definition.path
        return Plan(
            width: width, height: height, count: max(1, count),
            format: ImageFormat(rawValue: formatName == "jpg" ? "jpeg" : formatName) ?? .png,
            steps: Int(value("num_inference_steps")?.integerValue ?? value("steps")?.integerValue ?? 0),
            guidanceScale: value("guidance_scale")?.doubleValue ?? 0,
            prompt: given("prompt")?.stringValue ?? "",
            negativePrompt: given("negative_prompt")?.stringValue ?? "",
            imageURLs: urls, sizeFromInput: sizeFromInput, modelName: last)
    }

    /// The size a `size` value names under its rule (`"1024*1024"`, `"2048x2048"`, `"2K"`).
    static func dimensions(_ text: String, rule: FieldRule?) -> (Int, Int)? {
        if case .sizeSpec(let spec)? = rule?.kind { return spec.dimensions(of: text).map { ($0.width, $0.height) } }
        return RequestValidator.size(text)
    }

    /// An aspect ratio (`"16:9"`) as about one megapixel, each side a multiple of 16 (what FLUX
    /// Kontext pro and max render).
    static func aspectSize(_ ratio: String) -> (Int, Int)? {
        let parts = ratio.split(separator: ":")
        guard parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), a > 0, b > 0, a.isFinite,
            b.isFinite
        else { return nil }
        // A definition of one's own may list any ratio: kept within 1:16 either way.
        let ratio = min(16, max(1.0 / 16, a / b))
        let width = (1_048_576 * ratio).squareRoot()
        func round16(_ x: Double) -> Int { max(16, Int((x / 16).rounded()) * 16) }
        return (round16(width), round16(width / ratio))
    }

    /// The output size of an edit whose request names none: the first input's, scaled down to at
    /// most 4 megapixels and 2048 per side (aspect kept), at least 64 per side.
    static func inputSize(_ input: PixelBuffer) -> (Int, Int) {
        var scale = 1.0
        let pixels = Double(input.width * input.height)
        if pixels > 4_194_304 { scale = (4_194_304 / pixels).squareRoot() }
        scale = min(scale, 2048 / Double(max(input.width, input.height)))
        return (
            max(64, Int((Double(input.width) * scale).rounded())),
            max(64, Int((Double(input.height) * scale).rounded()))
        )
    }

    /// The columns of `count` equal ones across `width` (the last takes the remainder).
    static func column(_ index: Int, of count: Int, width: Int) -> Range<Int> {
        (width * index / count)..<(width * (index + 1) / count)
    }

    /// Columns already at their size, side by side: the picture the pattern is blended over.
    static func composite(columns: [PixelBuffer], width: Int, height: Int) -> PixelBuffer {
        if columns.count == 1, let only = columns.first, only.width == width, only.height == height { return only }
        var out = PixelBuffer(width: width, height: height)
        for (index, column) in columns.enumerated() {
            let x0 = Self.column(index, of: columns.count, width: width).lowerBound
            for y in 0..<min(height, column.height) {
                let source = y * column.width * 3
                let target = (y * width + x0) * 3
                for i in 0..<column.width * 3 { out.rgb[target + i] = column.rgb[source + i] }
            }
        }
        return out
    }

    /// The inputs of a plan gathered (blocking: the fetch pool; `SubmissionInputs`, the one way
    /// every mode reads its inputs) and made into one PNG of the output size, or the reason the
    /// task fails: `failed to fetch <url>: <why>`. Each input is shrunk to its column as soon as
    /// it is decoded, so at most one full-size decoded input is held.
    static func fetchInputs(
        _ plan: inout Plan, definition: EndpointDefinition, request: JSONObject, fetcher: InputImageFetcher
    ) -> Result<[UInt8]?, InputImageFetcher.Failure> {
        guard !plan.imageURLs.isEmpty else { return .success(nil) }
        let gathered: SubmissionInputs
        do {
            gathered = try SubmissionInputs.gather(
                definition: definition, request: request, images: [:], tenant: "", fetcher: fetcher, assets: nil)
        } catch {
            return .failure(.init(url: plan.imageURLs[0], why: error.message))
        }
        if let reason = gathered.fetchFailure { return .failure(.init(reason: reason)) }
        let images = gathered.images
        guard !images.isEmpty else { return .success(nil) }
        var columns: [PixelBuffer] = []
        for (index, image) in images.enumerated() {
            let decoded: PixelBuffer
            do {
                decoded = try ImageDecoder.decode(image.bytes, maxPixels: 16_777_216)
            } catch {
                let url = plan.imageURLs.indices.contains(index) ? plan.imageURLs[index] : image.name
                return .failure(.init(url: url, why: "the image could not be decoded"))
            }
            if index == 0, plan.sizeFromInput { (plan.width, plan.height) = inputSize(decoded) }
            let span = column(index, of: images.count, width: plan.width)
            columns.append(ImageResampler.resize(decoded, width: max(1, span.count), height: plan.height))
        }
        let picture = composite(columns: columns, width: plan.width, height: plan.height)
        do {
            return .success(try ImageEncoder.encode(picture, as: .png, parameters: ""))
        } catch {
            return .failure(.init(url: plan.imageURLs[0], why: "the inputs could not be combined: \(error)"))
        }
    }

    /// The generation parameters of a plan: img2img over the combined inputs, or txt2img.
    static func parameters(_ plan: Plan, hasInput: Bool, taskType: String?, requestedSeed: Int64)
        -> GenerationParameters
    {
        var parameters = GenerationParameters(
            kind: hasInput ? .img2img : .txt2img, modelName: plan.modelName, prompt: plan.prompt,
            negativePrompt: plan.negativePrompt, width: plan.width, height: plan.height, imageNum: plan.count,
            steps: plan.steps, guidanceScale: plan.guidanceScale, samplerName: "",
            seed: requestedSeed >= 0 ? UInt32(truncatingIfNeeded: requestedSeed) : 0,
            strength: hasInput ? editStrength : 1, format: plan.format)
        parameters.taskType = taskType
        return parameters
    }

    /// The modelled time in mock milliseconds before `--speed`: the base, plus per megapixel of
    /// output per image, plus per step per image per 512².
    static func modelledMs(_ model: EndpointDefinition.DurationModel?, _ plan: Plan) -> Double? {
        guard let model else { return nil }
        let megapixels = Double(plan.width * plan.height) / 1_000_000
        let area = Double(plan.width * plan.height) / Double(512 * 512)
        return Double(model.baseMs) + Double(model.perMegapixelMs) * megapixels * Double(plan.count)
            + Double(model.perStepMs) * Double(plan.steps) * Double(plan.count) * area
    }
}
