import ImageCodecs

/// A task as `tasks.log` holds it: every field, so a restart serves the same result and the same
/// image bytes. The keys are those the log has always used, so logs written before it moved to
/// `Codable` still read; fields missing from a line take the defaults the earlier reader gave.
struct PersistedTask: Codable, Sendable {
    struct Parameters: Codable, Sendable {
        var kind: String
        var model: String?
        var prompt: String?
        var negative: String?
        var width: Int?
        var height: Int?
        var imageNum: Int?
        var steps: Int?
        var cfg: Double?
        var sampler: String?
        var seed: Int64?
        var strength: Double?
        var format: String
        var scale: Double?
        /// Absent in logs written before endpoints were data: the kind's own task type then.
        var taskType: String?
        var operation: String?
        /// Video tasks only; absent in every older log.
        var video: Video?

        enum CodingKeys: String, CodingKey {
            case kind, model, prompt, negative, width, height, steps, cfg, sampler, seed, strength, format, scale
            case operation, video
            case imageNum = "image_num"
            case taskType = "task_type"
        }
    }

    struct Video: Codable, Sendable {
        struct Segment: Codable, Sendable {
            var prompt: String
            var frames: Int
        }

        var frames: Int
        var fps: Int
        var type: String
        var segments: [Segment]?

        init(_ video: VideoParameters) {
            frames = video.frameCount
            fps = video.framesPerSecond
            type = video.container.rawValue
            segments = video.segments.map { Segment(prompt: $0.prompt, frames: $0.frames) }
        }

        var parameters: VideoParameters? {
            guard let container = VideoParameters.Container(rawValue: type) else { return nil }
            return VideoParameters(
                frameCount: frames, framesPerSecond: fps, container: container,
                segments: (segments ?? []).map { .init(prompt: $0.prompt, frames: $0.frames) })
        }
    }

    struct Webhook: Codable, Sendable {
        var url: String
        var testStatus: String?
        var echo: JSONValue?

        enum CodingKeys: String, CodingKey {
            case url, echo
            case testStatus = "test_status"
        }
    }

    struct Storage: Codable, Sendable {
        var region: String?
        var bucket: String?
        var path: String?
        var direct: Bool?
    }

    struct Extra: Codable, Sendable {
        var responseImageType: String?
        var enterprise: Bool?
        var nsfwDetection: Bool?
        var nsfwLevel: Int?
        var webhook: Webhook?
        var storage: Storage?

        enum CodingKeys: String, CodingKey {
            case enterprise, webhook, storage
            case responseImageType = "response_image_type"
            case nsfwDetection = "nsfw_detection"
            case nsfwLevel = "nsfw_level"
        }
    }

    /// `"succeed"` or `{"fail": reason}`.
    enum Outcome: Codable, Sendable {
        case succeed
        case fail(String)

        private enum CodingKeys: String, CodingKey {
            case fail
        }

        init(from decoder: any Decoder) throws {
            if let keyed = try? decoder.container(keyedBy: CodingKeys.self),
                let reason = try keyed.decodeIfPresent(String.self, forKey: .fail)
            {
                self = .fail(reason)
            } else {
                self = .succeed
            }
        }

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .succeed:
                var single = encoder.singleValueContainer()
                try single.encode("succeed")
            case .fail(let reason):
                var keyed = encoder.container(keyedBy: CodingKeys.self)
                try keyed.encode(reason, forKey: .fail)
            }
        }
    }

    var id: String
    var tenant: String
    var parameters: Parameters
    var input: String?
    var extra: Extra?
    var outcome: Outcome?
    var baseURL: String?
    var request: JSONValue?
    var submittedAt: Int64
    var durationMs: Int64?
    var startedAt: Int64?
    var finishedAt: Int64?
    var status: String
    var reason: String?

    enum CodingKeys: String, CodingKey {
        case id, tenant, parameters, input, extra, outcome, request, status, reason
        case baseURL = "base_url"
        case submittedAt = "submitted_at"
        case durationMs = "duration_ms"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    init(_ record: TaskRecord) {
        let p = record.parameters
        id = record.id
        tenant = record.tenant
        parameters = Parameters(
            kind: p.kind.rawValue, model: p.modelName, prompt: p.prompt, negative: p.negativePrompt, width: p.width,
            height: p.height, imageNum: p.imageNum, steps: p.steps, cfg: p.guidanceScale, sampler: p.samplerName,
            seed: Int64(p.seed), strength: p.strength, format: p.format.rawValue, scale: p.scaleFactor,
            taskType: p.taskType, operation: p.operation, video: p.video.map(Video.init))
        input = record.inputKey
        let e = record.extra
        extra = Extra(
            responseImageType: e.responseImageType.rawValue, enterprise: e.enterprise, nsfwDetection: e.nsfwDetection,
            nsfwLevel: e.nsfwLevel,
            webhook: e.webhook.map { Webhook(url: $0.url, testStatus: $0.testModeStatus?.rawValue, echo: $0.echo) },
            storage: e.storage.map {
                Storage(region: $0.region, bucket: $0.bucket, path: $0.path, direct: $0.saveToPathDirectly)
            })
        switch record.outcome {
        case .succeed: outcome = .succeed
        case .fail(let reason): outcome = .fail(reason)
        }
        baseURL = record.imageBaseURL
        request = try? JSONParser.parse(record.requestSummary)
        submittedAt = record.submittedAt
        durationMs = record.durationMs
        startedAt = record.startedAt
        finishedAt = record.finishedAt
        status = record.status.rawValue
        reason = record.failureReason
    }

    /// The task under the serial this process gives it; nil when a field the task cannot do
    /// without is not one this version knows.
    func record(serial: Int) -> TaskRecord? {
        guard let kind = TaskKind(rawValue: parameters.kind), let format = ImageFormat(rawValue: parameters.format),
            let status = TaskStatus(rawValue: status)
        else { return nil }
        let p = parameters
        let generation = GenerationParameters(
            kind: kind, modelName: p.model ?? "", prompt: p.prompt ?? "", negativePrompt: p.negative ?? "",
            width: p.width ?? 0, height: p.height ?? 0, imageNum: p.imageNum ?? 0, steps: p.steps ?? 0,
            guidanceScale: p.cfg ?? 7.5, samplerName: p.sampler ?? "",
            seed: UInt32(truncatingIfNeeded: p.seed ?? 0), strength: p.strength ?? 0.5, format: format,
            scaleFactor: p.scale, taskType: p.taskType, operation: p.operation, video: p.video?.parameters)
        let e = extra ?? Extra()
        var options = ExtraOptions(
            responseImageType: e.responseImageType.flatMap(ImageFormat.init(rawValue:)) ?? .png,
            enterprise: e.enterprise ?? false, nsfwDetection: e.nsfwDetection ?? false, nsfwLevel: e.nsfwLevel ?? 0)
        if let webhook = e.webhook {
            options.webhook = WebhookOptions(
                url: webhook.url, testModeStatus: webhook.testStatus.flatMap(TaskStatus.init(rawValue:)),
                echo: webhook.echo ?? .null)
        }
        if let storage = e.storage {
            options.storage = S3Target(
                region: storage.region ?? "", bucket: storage.bucket ?? "", path: storage.path ?? "",
                saveToPathDirectly: storage.direct ?? false)
        }
        let planned: PlannedOutcome
        switch outcome ?? .succeed {
        case .succeed: planned = .succeed
        case .fail(let reason): planned = .fail(reason: reason)
        }
        return TaskRecord(
            id: id, serial: serial, tenant: tenant, parameters: generation, inputKey: input, extra: options,
            outcome: planned, imageBaseURL: baseURL ?? "",
            requestSummary: request.map { $0.isNull ? [] : JSONWriter.serialize($0) } ?? [],
            submittedAt: submittedAt, durationMs: durationMs ?? 0, startedAt: startedAt, finishedAt: finishedAt,
            status: status, failureReason: reason ?? "")
    }
}
