import ASCIIText
import ImageCodecs
import MicroHTTP

/// Reads a validated body into a `TaskSubmission`. The body already passed every rule, so this
/// only picks values and applies documented defaults.
enum SubmissionReader {
    /// The generation parameters of a request; `input` is the input image's header (upscale
    /// derives its output size from it).
    static func parameters(kind: TaskKind, request: JSONObject, input: ImageHeader?) -> (
        GenerationParameters, requestedSeed: Int64
    ) {
        func int(_ key: String, _ fallback: Int) -> Int { request[key]?.integerValue.map(Int.init) ?? fallback }
        func double(_ key: String, _ fallback: Double) -> Double { request[key]?.doubleValue ?? fallback }
        func string(_ key: String, _ fallback: String) -> String { request[key]?.stringValue ?? fallback }
        let requestedSeed = request["seed"]?.integerValue ?? -1
        var parameters = GenerationParameters(
            kind: kind, modelName: string("model_name", ""), prompt: string("prompt", ""),
            negativePrompt: string("negative_prompt", ""), width: int("width", 512), height: int("height", 512),
            imageNum: int("image_num", 1), steps: int("steps", 20), guidanceScale: double("guidance_scale", 7.5),
            samplerName: string("sampler_name", "Euler a"),
            seed: requestedSeed >= 0 ? UInt32(truncatingIfNeeded: requestedSeed) : 0,
            strength: double("strength", 0.5), format: .png)
        switch kind {
        case .img2img:
            break
        case .txt2img:
            parameters.strength = 1
            if let hires = request["hires_fix"]?.objectValue {
                parameters.width = hires["target_width"]?.integerValue.map(Int.init) ?? parameters.width
                parameters.height = hires["target_height"]?.integerValue.map(Int.init) ?? parameters.height
            }
        case .edit:
            // An editor keeps its input's size unless it names one (instant-id); one image unless
            // it asks for more (inpainting's image_num); timed like a short SD task.
            parameters.imageNum = int("image_num", 1)
            parameters.strength = 1
            if let input {
                parameters.width = int("width", input.width)
                parameters.height = int("height", input.height)
            }
        case .txt2video, .img2video:
            // The clip's frames, rate and size come from `video(…)`, which knows the endpoint's defaults.
            parameters.imageNum = 1
            parameters.strength = 1
        case .upscale:
            let factor = double("scale_factor", 2)
            parameters.scaleFactor = factor
            parameters.imageNum = 1
            parameters.steps = 10
            parameters.samplerName = ""
            parameters.guidanceScale = 0
            parameters.strength = 0
            if let input {
                parameters.width = max(1, Int((Double(input.width) * factor).rounded()))
                parameters.height = max(1, Int((Double(input.height) * factor).rounded()))
            }
        }
        return (parameters, requestedSeed)
    }

    /// The clip a video request asks for (docs/contract.md §14), with the endpoint's defaults
    /// where it is silent. Sizes become even and at least 16 pixels for MP4, since H.264 in
    /// 4:2:0 takes no other; a GIF keeps the size as asked.
    static func video(
        kind: TaskKind, request: JSONObject, extra: JSONObject?, defaults: EndpointDefinition.VideoDefaults?,
        input: ImageHeader?, parameters: inout GenerationParameters
    ) {
        let defaults =
            defaults ?? EndpointDefinition.VideoDefaults(framesPerSecond: 8, frames: 16, width: 512, height: 512)
        func int(_ key: String) -> Int? { request[key]?.integerValue.map(Int.init) }
        let container =
            extra?["response_video_type"]?.stringValue.flatMap(VideoParameters.Container.init(rawValue:)) ?? .mp4
        var frames = defaults.frames
        var fps = defaults.framesPerSecond
        var segments: [VideoParameters.Segment]
        var (width, height) = (defaults.width, defaults.height)
        switch kind {
        case .img2video where defaults.image == nil, .txt2video where request["prompts"] != nil:
            break
        default:
            if parameters.prompt.isEmpty, let prompt = request["input"]?.objectValue?["prompt"]?.stringValue {
                parameters.prompt = prompt
            }
            clip(request: request, defaults: defaults, input: input, parameters: &parameters, container: container)
            return
        }
        switch kind {
        case .img2video:
            frames = int("frames_num") ?? int("frames") ?? frames
            fps = int("frames_per_second") ?? fps
            if request["enable_frame_interpolation"]?.boolValue == true {
                // Interpolated to 24 fps, as the docs say: more frames over the same duration.
                frames = frames * 24 / max(1, fps)
                fps = 24
            }
            segments = [.init(prompt: parameters.prompt, frames: frames)]
            if let input, request["image_url"] != nil {
                // wan-i2v: the output keeps the input's aspect ratio; width × height only name the tier.
                let tier = max(int("width") ?? width, int("height") ?? height)
                (width, height) = tierSize(input: input, longSide: tier)
            } else if let input {
                (width, height) = img2videoSize(
                    input: input, mode: request["image_file_resize_mode"]?.stringValue ?? "CROP_TO_ASPECT_RATIO")
            }
        default:
            if let prompts = request["prompts"]?.arrayValue {
                segments = prompts.compactMap { item in
                    guard let object = item.objectValue else { return nil }
                    return .init(
                        prompt: object["prompt"]?.stringValue ?? "",
                        frames: object["frames"]?.integerValue.map(Int.init) ?? 0)
                }
                frames = segments.reduce(0) { $0 + $1.frames }
                parameters.prompt = segments.first?.prompt ?? ""
            } else {
                frames = int("frames") ?? frames
                segments = [.init(prompt: parameters.prompt, frames: frames)]
            }
            // Both or neither: wan-t2v forces its default size when either side is missing.
            if let w = int("width"), let h = int("height") { (width, height) = (w, h) }
        }
        if container == .mp4 {
            width = max(16, width - width % 2)
            height = max(16, height - height % 2)
        }
        parameters.width = width
        parameters.height = height
        parameters.video = VideoParameters(
            frameCount: max(1, frames), framesPerSecond: max(1, fps), container: container, segments: segments)
    }

    /// The clip of a model that words it as most third-party video models do (docs/contract.md §14):
    /// `size` (`"1280*720"`), or `width` and `height`, or a resolution (`resolution` such as `720p`,
    /// `768P`, `4k`, or the definition's `mode_resolutions`; else the default size's short side)
    /// at an aspect ratio (`aspect_ratio` or `ratio` as `W:H`; else the input image's shape; else
    /// the default size's). Frames are `frames`, else the shots' seconds (`image_settings`,
    /// `multi_prompt`) or `duration` seconds × `fps`, else the default. Keys are read at the top
    /// level, then in `parameters` (Wan 2.2 and later).
    static func clip(
        request: JSONObject, defaults: EndpointDefinition.VideoDefaults, input: ImageHeader?,
        parameters: inout GenerationParameters, container: VideoParameters.Container
    ) {
        func value(_ key: String) -> JSONValue? {
            for object in [request, request["parameters"]?.objectValue ?? [:]] {
                if let value = object[key], !value.isNull { return value }
            }
            return nil
        }
        func int(_ key: String) -> Int? {
            guard let value = value(key) else { return nil }
            return value.integerValue.map(Int.init) ?? value.stringValue.flatMap { Int($0.trimmingSpaces) }
        }
        let fps = max(1, int("fps") ?? defaults.framesPerSecond)
        // Shots (Vidu's key frames, Kling's multi_prompt) last the sum of theirs, each 5 s unless it says.
        let shots = (value("image_settings") ?? value("multi_prompt"))?.arrayValue.flatMap { items in
            items.isEmpty
                ? nil : items.reduce(0) { $0 + ($1.objectValue?["duration"]?.integerValue.map(Int.init) ?? 5) }
        }
        let frames = int("frames") ?? (shots ?? int("duration")).map { $0 * fps } ?? defaults.frames
        var (width, height) = (defaults.width, defaults.height)
        if let size = value("size")?.stringValue.flatMap(parseSize) {
            (width, height) = size
        } else if let w = int("width"), let h = int("height") {
            (width, height) = (w, h)
        } else {
            let short =
                value("resolution")?.stringValue.flatMap(shortSide)
                ?? value("mode")?.stringValue.flatMap { defaults.modeResolutions[$0] }
                ?? min(defaults.width, defaults.height)
            var aspect = Double(defaults.width) / Double(defaults.height)
            if let ratio = (value("aspect_ratio") ?? value("ratio"))?.stringValue.flatMap(parseRatio) {
                aspect = ratio
            } else if let input, input.width > 0, input.height > 0 {
                aspect = Double(input.width) / Double(input.height)
            }
            func even(_ x: Double) -> Int { max(2, Int((x / 2).rounded()) * 2) }
            (width, height) =
                aspect >= 1 ? (even(Double(short) * aspect), short) : (short, even(Double(short) / aspect))
        }
        if container == .mp4 {
            width = max(16, width - width % 2)
            height = max(16, height - height % 2)
        }
        parameters.width = width
        parameters.height = height
        parameters.video = VideoParameters(
            frameCount: max(1, frames), framesPerSecond: fps, container: container,
            segments: [.init(prompt: parameters.prompt, frames: max(1, frames))])
    }

    /// `"1280*720"` → (1280, 720).
    static func parseSize(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: "*")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else { return nil }
        return (w, h)
    }

    /// `"16:9"` → 16/9; `"adaptive"` and other words → nil.
    static func parseRatio(_ text: String) -> Double? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let w = Double(parts[0]), let h = Double(parts[1]), w > 0, h > 0 else { return nil }
        return w / h
    }

    /// A resolution name's short side: `720p`, `768P`, `1080P` → the number; `2k` 1440, `4k` 2160.
    static func shortSide(_ text: String) -> Int? {
        let lowered = text.lowercased()
        if lowered == "4k" { return 2160 }
        if lowered == "2k" { return 1440 }
        guard lowered.hasSuffix("p"), let side = Int(lowered.dropLast()), (16...4320).contains(side) else { return nil }
        return side
    }

    /// A body with the members of its `input` and `parameters` objects (Wan 2.2 and later nest
    /// their fields there) also at the top level, where the shared readers look; the top level wins.
    static func flattened(_ request: JSONObject) -> JSONObject {
        var flat = request
        for key in ["input", "parameters"] {
            guard let nested = request[key]?.objectValue else { continue }
            for entry in nested.entries where flat[entry.key] == nil { flat[entry.key] = entry.value }
        }
        return flat
    }

    /// img2video's output size: the input's own (`ORIGINAL_RESOLUTION`, or the Python SDK's
    /// `ORIGINAL_DIMENSION`), or SVD's native 1024×576 turned to the input's orientation
    /// (`CROP_TO_ASPECT_RATIO`: the input is cropped to that shape).
    static func img2videoSize(input: ImageHeader, mode: String) -> (Int, Int) {
        if mode == "CROP_TO_ASPECT_RATIO" {
            return input.width >= input.height ? (1024, 576) : (576, 1024)
        }
        return (input.width, input.height)
    }

    /// The input's shape with its longer side at `longSide` (the shorter rounded to nearest).
    static func tierSize(input: ImageHeader, longSide: Int) -> (Int, Int) {
        let long = max(1, max(input.width, input.height))
        let short = max(1, (min(input.width, input.height) * longSide + long / 2) / long)
        return input.width >= input.height ? (longSide, short) : (short, longSide)
    }

    static func extra(_ object: JSONObject?) -> ExtraOptions {
        var options = ExtraOptions()
        guard let object else { return options }
        if let type = object["response_image_type"]?.stringValue, let format = ImageFormat(rawValue: type) {
            options.responseImageType = format
        }
        if let webhook = object["webhook"]?.objectValue, let url = webhook["url"]?.stringValue {
            var testStatus: TaskStatus?
            if let testMode = webhook["test_mode"]?.objectValue, testMode["enabled"]?.boolValue == true {
                testStatus = TaskStatus(rawValue: testMode["return_task_status"]?.stringValue ?? "")
            }
            options.webhook = WebhookOptions(url: url, testModeStatus: testStatus, echo: .object(webhook))
        }
        if let s3 = object["custom_storage"]?.objectValue?["aws_s3"]?.objectValue {
            options.storage = S3Target(
                region: s3["region"]?.stringValue ?? "", bucket: s3["bucket"]?.stringValue ?? "",
                path: s3["path"]?.stringValue ?? "", saveToPathDirectly: s3["save_to_path_directly"]?.boolValue ?? false
            )
        }
        options.enterprise = object["enterprise_plan"]?.objectValue?["enabled"]?.boolValue ?? false
        options.nsfwDetection = object["enable_nsfw_detection"]?.boolValue ?? false
        options.nsfwLevel = object["nsfw_detection_level"]?.integerValue.map(Int.init) ?? 0
        return options
    }

    /// The control headers of docs/contract.md §5.
    /// - Throws: 400 naming the header when a value is malformed.
    static func controls(_ headers: HTTPHeaders) throws(APIError) -> (PlannedOutcome?, TimingOverrides) {
        var outcome: PlannedOutcome?
        if let value = headers["X-Mock-Outcome"] {
            let trimmed = value.trimmingSpaces
            if trimmed.lowercased() == "succeed" {
                outcome = .succeed
            } else if trimmed.lowercased() == "fail" {
                outcome = .fail(reason: "the task failed (forced by X-Mock-Outcome)")
            } else if trimmed.lowercased().hasPrefix("fail:") {
                let reason = trimmed.dropFirst(5).trimmingSpaces
                outcome = .fail(reason: reason.isEmpty ? "the task failed (forced by X-Mock-Outcome)" : reason)
            } else {
                throw headerError("X-Mock-Outcome", expected: "succeed, fail or fail:<reason>", actual: value)
            }
        }
        func milliseconds(_ name: String) throws(APIError) -> Int64? {
            guard let value = headers[name] else { return nil }
            guard let ms = Int64(value.trimmingSpaces), ms >= 0, ms <= 86_400_000 else {
                throw headerError(name, expected: "an integer number of milliseconds in [0, 86400000]", actual: value)
            }
            return ms
        }
        let timing = TimingOverrides(
            processingMs: try milliseconds("X-Mock-Duration-Ms"), queueMs: try milliseconds("X-Mock-Queue-Ms"))
        return (outcome, timing)
    }

    private static func headerError(_ name: String, expected: String, actual: String) -> APIError {
        APIError.violations([Violation(path: "header \(name)", expected: expected, actual: "\"\(actual.prefix(80))\"")])
    }

    /// The body as kept for inspection: image data replaced by a short description.
    static func summary(of body: JSONObject, images: [String: InputImage]) -> [UInt8] {
        let elided = JSONValue.object(body).replacingStrings { path, value in
            if let image = images[path] {
                let header = image.header
                return "<\(header.format.rawValue) \(header.width)x\(header.height), \(image.bytes.count) bytes elided>"
            }
            // Images given as data URLs (image-eraser's `image`, wan-i2v's `image_url`) would put
            // megabytes into every task kept and logged.
            if value.hasPrefix("data:"), value.utf8.count > 256 {
                return "<data URL, \(value.utf8.count) characters elided>"
            }
            return nil
        }
        return JSONWriter.serialize(elided)
    }
}
