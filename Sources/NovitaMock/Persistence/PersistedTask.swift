import ImageCodecs

/// The persisted form of a task: every field, so a restart serves the same result and the same
/// image bytes.
extension TaskRecord {
    var persistedJSON: JSONValue {
        let p = parameters
        func optional(_ value: Int64?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        var extraObject: JSONObject = [
            "response_image_type": .string(extra.responseImageType.rawValue),
            "enterprise": .bool(extra.enterprise),
            "nsfw_detection": .bool(extra.nsfwDetection),
            "nsfw_level": .number(JSONNumber(extra.nsfwLevel)),
        ]
        if let webhook = extra.webhook {
            extraObject["webhook"] = [
                "url": .string(webhook.url),
                "test_status": webhook.testModeStatus.map { .string($0.rawValue) } ?? .null,
                "echo": webhook.echo,
            ]
        }
        if let storage = extra.storage {
            extraObject["storage"] = [
                "region": .string(storage.region), "bucket": .string(storage.bucket), "path": .string(storage.path),
                "direct": .bool(storage.saveToPathDirectly),
            ]
        }
        let outcomeJSON: JSONValue
        switch outcome {
        case .succeed: outcomeJSON = "succeed"
        case .fail(let reason): outcomeJSON = ["fail": .string(reason)]
        }
        return .object([
            "id": .string(id), "tenant": .string(tenant),
            "parameters": [
                "kind": .string(p.kind.rawValue), "model": .string(p.modelName), "prompt": .string(p.prompt),
                "negative": .string(p.negativePrompt), "width": .number(JSONNumber(p.width)),
                "height": .number(JSONNumber(p.height)), "image_num": .number(JSONNumber(p.imageNum)),
                "steps": .number(JSONNumber(p.steps)), "cfg": .number(JSONNumber(p.guidanceScale)),
                "sampler": .string(p.samplerName), "seed": .number(JSONNumber(Int64(p.seed))),
                "strength": .number(JSONNumber(p.strength)), "format": .string(p.format.rawValue),
                "scale": p.scaleFactor.map { .number(JSONNumber($0)) } ?? .null,
            ],
            "input": inputKey.map(JSONValue.string) ?? .null,
            "extra": .object(extraObject),
            "outcome": outcomeJSON,
            "base_url": .string(imageBaseURL),
            "request": (try? JSONParser.parse(requestSummary)) ?? .null,
            "submitted_at": .number(JSONNumber(submittedAt)),
            "duration_ms": .number(JSONNumber(durationMs)),
            "started_at": optional(startedAt),
            "finished_at": optional(finishedAt),
            "status": .string(status.rawValue),
            "reason": .string(failureReason),
        ])
    }

    /// Reads a persisted record; nil when the line is not one (a torn last line after a crash).
    init?(persisted json: JSONValue, serial: Int) {
        guard let o = json.objectValue, let id = o["id"]?.stringValue, let tenant = o["tenant"]?.stringValue,
            let p = o["parameters"]?.objectValue, let kind = p["kind"]?.stringValue.flatMap(TaskKind.init(rawValue:)),
            let format = p["format"]?.stringValue.flatMap(ImageFormat.init(rawValue:)),
            let status = o["status"]?.stringValue.flatMap(TaskStatus.init(rawValue:)),
            let submittedAt = o["submitted_at"]?.integerValue
        else { return nil }
        func int(_ key: String) -> Int { Int(p[key]?.integerValue ?? 0) }
        let parameters = GenerationParameters(
            kind: kind, modelName: p["model"]?.stringValue ?? "", prompt: p["prompt"]?.stringValue ?? "",
            negativePrompt: p["negative"]?.stringValue ?? "", width: int("width"), height: int("height"),
            imageNum: int("image_num"), steps: int("steps"), guidanceScale: p["cfg"]?.doubleValue ?? 7.5,
            samplerName: p["sampler"]?.stringValue ?? "",
            seed: UInt32(truncatingIfNeeded: p["seed"]?.integerValue ?? 0),
            strength: p["strength"]?.doubleValue ?? 0.5, format: format, scaleFactor: p["scale"]?.doubleValue)
        let e = o["extra"]?.objectValue ?? [:]
        var extra = ExtraOptions(
            responseImageType: e["response_image_type"]?.stringValue.flatMap(ImageFormat.init(rawValue:)) ?? .png,
            enterprise: e["enterprise"]?.boolValue ?? false, nsfwDetection: e["nsfw_detection"]?.boolValue ?? false,
            nsfwLevel: Int(e["nsfw_level"]?.integerValue ?? 0))
        if let w = e["webhook"]?.objectValue, let url = w["url"]?.stringValue {
            extra.webhook = WebhookOptions(
                url: url, testModeStatus: w["test_status"]?.stringValue.flatMap(TaskStatus.init(rawValue:)),
                echo: w["echo"] ?? .null)
        }
        if let s = e["storage"]?.objectValue {
            extra.storage = S3Target(
                region: s["region"]?.stringValue ?? "", bucket: s["bucket"]?.stringValue ?? "",
                path: s["path"]?.stringValue ?? "", saveToPathDirectly: s["direct"]?.boolValue ?? false)
        }
        let outcome: PlannedOutcome =
            o["outcome"]?.objectValue?["fail"]?.stringValue.map { .fail(reason: $0) } ?? .succeed
        self.init(
            id: id, serial: serial, tenant: tenant, parameters: parameters, inputKey: o["input"]?.stringValue,
            extra: extra, outcome: outcome, imageBaseURL: o["base_url"]?.stringValue ?? "",
            requestSummary: o["request"].map { $0.isNull ? [] : JSONWriter.serialize($0) } ?? [],
            submittedAt: submittedAt, durationMs: o["duration_ms"]?.integerValue ?? 0,
            startedAt: o["started_at"]?.integerValue, finishedAt: o["finished_at"]?.integerValue, status: status,
            failureReason: o["reason"]?.stringValue ?? "")
    }
}
