import ImageCodecs

/// The task-result body (docs/contract.md §6): every key in every state, arrays never null, `extra` always
/// an object.
struct TaskResultBody {
    let signer: ImageURLSigner

    func json(for snapshot: TaskSnapshot) -> JSONValue {
        let record = snapshot.record
        var extra = JSONObject()
        if record.parameters.kind != .upscale {
            extra["seed"] = .string(String(record.parameters.seed))
        }
        extra["enable_nsfw_detection"] = .bool(record.extra.nsfwDetection)
        func moment(_ ms: Int64?) -> JSONValue { .string(ms.map(String.init) ?? "") }
        extra["debug_info"] = .object([
            "request_info": "",
            "submit_time_ms": moment(record.submittedAt),
            "execute_time_ms": moment(record.startedAt),
            "complete_time_ms": moment(record.finishedAt),
        ])
        let quirks = Self.quirks[record.parameters.reportedTaskType]
        for (key, value) in quirks?["extra"]?.objectValue?.entries ?? [] { extra[key] = value }
        let imageURLTTL = quirks?["image_url_ttl"] ?? "3600"
        let task: JSONObject = [
            "task_id": .string(record.id),
            "task_type": .string(record.parameters.reportedTaskType),
            "status": .string(snapshot.status.rawValue),
            "reason": .string(snapshot.status == .failed ? record.failureReason : ""),
            "eta": .number(JSONNumber(snapshot.etaSeconds)),
            // A finished video reports 100, as every video example does (docs/contract.md §14).
            "progress_percent": .number(
                JSONNumber(
                    snapshot.status == .succeed && record.parameters.video != nil ? 100 : snapshot.progressPercent)),
        ]
        var images: [JSONValue] = []
        var videos: [JSONValue] = []
        if snapshot.status == .succeed, let finishedAt = record.finishedAt, let video = record.parameters.video {
            let url = signer.videoURL(
                base: record.imageBaseURL, taskID: record.id, container: video.container, issuedAtMs: finishedAt)
            videos.append(
                .object([
                    "video_url": .string(url),
                    "video_url_ttl": "3600",
                    "video_type": .string(video.container.rawValue),
                ]))
        } else if snapshot.status == .succeed, let finishedAt = record.finishedAt {
            let format = record.parameters.format
            for index in 0..<record.parameters.imageNum {
                let url = signer.url(
                    base: record.imageBaseURL, taskID: record.id, index: index, format: format,
                    issuedAtMs: finishedAt)
                let nsfw: JSONValue =
                    record.extra.nsfwDetection
                    ? .object([
                        "valid": true,
                        "confidence": .number(
                            JSONNumber(
                                NSFWDetector.confidence(
                                    for: record.parameters, level: record.extra.nsfwLevel, index: index))),
                    ]) : .null
                images.append(
                    .object([
                        "image_url": .string(url),
                        "image_url_ttl": imageURLTTL,
                        "image_type": .string(format.rawValue),
                        "nsfw_detection_result": nsfw,
                    ]))
            }
        }
        return .object([
            "extra": .object(extra),
            "task": .object(task),
            "images": .array(images),
            "videos": .array(videos),
            "audios": [],
        ])
    }
}

extension TaskResultBody {
    /// The built-in definitions' `result` differences by task type (docs/endpoints.md): Qwen-Image's
    /// task-result example has `image_url_ttl` "0" and `extra.has_nsfw_contents` (docs/contract.md §12).
    static let quirks: [String: JSONObject] = {
        var table: [String: JSONObject] = [:]
        for definition in EndpointCatalog.builtIn.definitions {
            if let type = definition.taskType, let quirks = definition.resultQuirks { table[type] = quirks }
        }
        return table
    }()
}
