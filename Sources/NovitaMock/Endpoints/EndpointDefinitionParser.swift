/// Reads one definition file (docs/endpoints.md) into an `EndpointDefinition`, or says exactly
/// what is wrong with it: the file, the JSON path and the problem.
struct EndpointDefinitionParser {
    let vocabulary: EndpointVocabulary

    /// The operations each mode can run; a definition naming another is refused at start.
    static let operations: [EndpointDefinition.Mode: [String]] = [
        .async: TaskKind.allCases.compactMap(\.operationName) + imageOperations + [ThirdPartyImage.operation]
            + NativeImageOperation.allCases.map(\.rawValue),
        .syncTaskImages: [ThirdPartyImage.operation],
        .syncURLs: [ThirdPartyImage.operation],
        .syncImageURLs: [ThirdPartyImage.operation],
        .syncImage: imageOperations,
        .syncText: [ImageOperation.img2prompt.rawValue],
        .training: ["upload-dataset", "create-subject", "create-style", "status", "list"],
    ]

    /// The editors' operations that make an image (all but img2prompt).
    static let imageOperations = ImageOperation.allCases.filter { $0 != .img2prompt }.map(\.rawValue)

    func parse(_ bytes: [UInt8], file: String) throws(EndpointDefinitionError) -> EndpointDefinition {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw EndpointDefinitionError(file: file, path: "$", problem: "not valid JSON: \(error.description)")
        }
        return try parse(value, file: file)
    }

    func parse(_ value: JSONValue, file: String) throws(EndpointDefinitionError) -> EndpointDefinition {
        var reader = try DefinitionReader(file: file, path: "$", value: value)
        let method = try reader.requiredString("method")
        guard ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(method) else {
            throw reader.error("method", "expected GET, POST, PUT, DELETE or PATCH, got \"\(method)\"")
        }
        let path = try reader.requiredString("path")
        guard path.hasPrefix("/"), !path.contains("?"), !path.hasPrefix("/__mock/") else {
            throw reader.error("path", "expected an absolute path without a query, outside /__mock/, got \"\(path)\"")
        }
        let modeName = try reader.requiredString("mode")
        guard let mode = EndpointDefinition.Mode(rawValue: modeName) else {
            throw reader.error(
                "mode",
                "unknown mode \"\(modeName)\" (\(EndpointDefinition.Mode.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        let bodyName = try reader.string("body") ?? (method == "GET" ? "none" : "flat")
        guard let body = EndpointDefinition.BodyShape(rawValue: bodyName) else {
            throw reader.error("body", "expected \"wrapped\", \"flat\" or \"none\", got \"\(bodyName)\"")
        }
        let rules = FieldRuleParser(vocabulary: vocabulary)
        let fields = try reader.array("fields") ?? []
        let constraints = try reader.array("constraints")
        let schema: ObjectSchema
        switch body {
        case .wrapped:
            // {"extra": <shared extra>, "request": <fields>}: the request's rules are `fields`.
            let request = try rules.objectSchema(fields: fields, constraints: constraints, file: file, path: "$")
            let extraName = try reader.string("extra") ?? "extra-async"
            let extra = try rules.field(.object(["use": .string(extraName)]), file: file, path: "$.extra")
            schema = ObjectSchema([
                extra,
                FieldRule("request", .object(request), .required, "The generation request."),
            ])
        case .flat:
            schema = try rules.objectSchema(fields: fields, constraints: constraints, file: file, path: "$")
        case .none:
            guard fields.isEmpty else { throw reader.error("fields", "a definition without a body has no fields") }
            schema = ObjectSchema([])
        }
        let query = try rules.fields(try reader.array("query") ?? [], file: file, path: "$.query")
        let operation = try reader.string("operation")
        if let allowed = Self.operations[mode] {
            guard let operation, allowed.contains(operation) else {
                throw reader.error(
                    "operation",
                    "mode \"\(mode.rawValue)\" runs one of \(allowed.joined(separator: ", ")); got \(operation.map { "\"\($0)\"" } ?? "nothing")"
                )
            }
        }
        let makesVideo = TaskKind.allCases.contains { $0.makesVideo && $0.operationName == operation }
        let output = try reader.string("output") ?? (makesVideo ? "video" : Self.defaultOutput(mode))
        var definition = EndpointDefinition(
            file: file, method: method, path: path,
            operationID: try reader.requiredString("operation_id"),
            summary: try reader.requiredString("summary"),
            mode: mode, body: body, schema: schema, query: query,
            schemaName: try reader.string("schema_name"),
            taskType: try reader.string("task_type"),
            output: output, operation: operation,
            duration: try duration(&reader), video: try video(&reader), rateLimit: try rateLimit(&reader),
            price: try price(&reader),
            source: try reader.requiredString("source"),
            notes: try reader.string("notes") ?? "",
            example: reader.value("example"),
            resultQuirks: try resultQuirks(&reader),
            raw: reader.object)
        definition.queryNames = Set(query.map(\.name))
        definition.inputs = try MediaInputDeclaration.parse(try reader.array("inputs") ?? [], reader: reader)
        if var models = try reader.child("models") {
            guard mode == .async else { throw reader.error("models", "only an async definition dispatches by model") }
            for key in models.object.keys.sorted() {
                guard let path = try models.string(key), path.hasPrefix("/") else {
                    throw models.error(key, "expected the path of the endpoint that serves the model")
                }
                definition.models[key] = path
            }
            try models.finish("models")
        }
        if mode == .async || operation == ThirdPartyImage.operation, definition.taskType == nil {
            definition.taskType = EndpointDefinition.derivedTaskType(path: path)
        }
        try reader.finish()
        return definition
    }

    /// `result`: what the endpoint's task-result shows differently from the rest (docs/endpoints.md):
    /// `image_url_ttl` as the docs' example writes it, and keys added to `extra`.
    private func resultQuirks(_ reader: inout DefinitionReader) throws(EndpointDefinitionError) -> JSONObject? {
        guard var child = try reader.child("result") else { return nil }
        if let ttl = child.value("image_url_ttl"), ttl.stringValue == nil, ttl.integerValue == nil {
            throw child.error("image_url_ttl", "expected a string or an integer")
        }
        if let extra = child.value("extra"), extra.objectValue == nil {
            throw child.error("extra", "expected an object")
        }
        try child.finish("a result")
        return child.object
    }

    static func defaultOutput(_ mode: EndpointDefinition.Mode) -> String {
        switch mode {
        case .async, .syncImage, .syncTaskImages, .syncURLs, .syncImageURLs: "image"
        case .syncText: "text"
        case .taskResult: "task"
        case .modelCatalog: "models"
        case .account: "account"
        case .training: "training"
        case .videoConfig: "configs"
        }
    }

    private func duration(_ reader: inout DefinitionReader) throws(EndpointDefinitionError)
        -> EndpointDefinition.DurationModel?
    {
        guard var child = try reader.child("duration") else { return nil }
        let model = EndpointDefinition.DurationModel(
            baseMs: try child.integer("base_ms") ?? 0, perStepMs: try child.integer("per_step_ms") ?? 0,
            perMegapixelMs: try child.integer("per_megapixel_ms") ?? 0,
            perFrameMs: try child.integer("per_frame_ms") ?? 0)
        guard model.baseMs >= 0, model.perStepMs >= 0, model.perMegapixelMs >= 0, model.perFrameMs >= 0 else {
            throw child.error(nil, "durations are milliseconds, never negative")
        }
        try child.finish()
        return model
    }

    private func video(_ reader: inout DefinitionReader) throws(EndpointDefinitionError)
        -> EndpointDefinition.VideoDefaults?
    {
        guard var child = try reader.child("video") else { return nil }
        func positive(_ key: String, _ fallback: Int64, in range: ClosedRange<Int64>) throws(EndpointDefinitionError)
            -> Int
        {
            let value = try child.integer(key) ?? fallback
            guard range.contains(value) else {
                throw child.error(
                    key, "expected an integer in [\(range.lowerBound), \(range.upperBound)], got \(value)")
            }
            return Int(value)
        }
        // Sizes are even and at least 16: what an H.264 (4:2:0) encoder takes.
        let defaults = EndpointDefinition.VideoDefaults(
            framesPerSecond: try positive("fps", 8, in: 1...120), frames: try positive("frames", 16, in: 1...1000),
            width: try positive("width", 512, in: 16...4096), height: try positive("height", 512, in: 16...4096))
        guard defaults.width % 2 == 0, defaults.height % 2 == 0 else {
            throw child.error(nil, "width and height are even (H.264 4:2:0)")
        }
        var video = defaults
        video.image = try child.string("image")
        if let image = video.image,
            image.isEmpty
                || image.split(separator: ".", omittingEmptySubsequences: false)
                    .contains(where: \.isEmpty)
        {
            throw child.error(
                "image", "expected a dotted path such as \"input.img_url\" or \"images.0\", got \"\(image)\"")
        }
        if var modes = try child.child("mode_resolutions") {
            for key in modes.object.keys.sorted() {
                guard let side = try modes.integer(key), (16...4320).contains(side) else {
                    throw modes.error(key, "expected a short side in pixels in [16, 4320]")
                }
                video.modeResolutions[key] = Int(side)
            }
            try modes.finish("mode_resolutions")
        }
        try child.finish()
        return video
    }

    private func rateLimit(_ reader: inout DefinitionReader) throws(EndpointDefinitionError)
        -> EndpointDefinition.RateLimitClass?
    {
        guard var child = try reader.child("rate_limit") else { return nil }
        let name = try child.requiredString("name")
        guard let perMinute = try child.integer("per_minute"), perMinute > 0 else {
            throw child.error("per_minute", "missing (a positive integer)")
        }
        let unit = try child.string("unit") ?? "requests"
        guard unit == "requests" || unit == "images" else {
            throw child.error("unit", "expected \"requests\" or \"images\", got \"\(unit)\"")
        }
        try child.finish()
        return .init(name: name, perMinute: Int(perMinute), unit: unit)
    }

    private func price(_ reader: inout DefinitionReader) throws(EndpointDefinitionError) -> EndpointDefinition.Price? {
        guard var child = try reader.child("price") else { return nil }
        guard let usd = try child.number("usd"), usd >= 0 else { throw child.error("usd", "missing (a number ≥ 0)") }
        let per = try child.string("per") ?? "request"
        try child.finish()
        return .init(usd: usd, per: per)
    }
}
