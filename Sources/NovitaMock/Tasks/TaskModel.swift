import ImageCodecs

/// The endpoint a task came from, by its wire name in `task.task_type`.
enum TaskKind: String, Sendable, CaseIterable {
    case img2img = "IMG_TO_IMG"
    case txt2img = "TXT_TO_IMG"
    case upscale = "UPSCALE"
    /// An editor's operation run as a task (`/v3/async/replace-background`): the operation's name
    /// is in `GenerationParameters.operation`.
    case edit = "EDIT"
    /// A clip from prompts (`/v3/async/txt2video`, and the text-to-video models that share its
    /// operation under their own task types).
    case txt2video = "TXT_TO_VIDEO"
    /// A clip that starts from an input image (`/v3/async/img2video`).
    case img2video = "IMG_TO_VIDEO"

    /// The operation name an endpoint definition gives for this kind (`"operation": "img2img"`);
    /// nil for `edit`, whose definitions name an editor operation.
    var operationName: String? {
        switch self {
        case .img2img: "img2img"
        case .txt2img: "txt2img"
        case .upscale: "upscale"
        case .edit: nil
        case .txt2video: "txt2video"
        case .img2video: "img2video"
        }
    }

    /// Whether its tasks end in a video (task-result's `videos`) rather than images.
    var makesVideo: Bool { self == .txt2video || self == .img2video }
}

/// The only status strings ever sent (the SDK crashes on any other).
enum TaskStatus: String, Sendable, CaseIterable {
    case queued = "TASK_STATUS_QUEUED"
    case processing = "TASK_STATUS_PROCESSING"
    case succeed = "TASK_STATUS_SUCCEED"
    case failed = "TASK_STATUS_FAILED"

    var isFinished: Bool { self == .succeed || self == .failed }
}

/// What decides the generated pixels, besides the input image (docs/contract.md §7 determinism).
struct GenerationParameters: Sendable, Hashable {
    var kind: TaskKind
    var modelName: String
    var prompt: String
    var negativePrompt: String
    var width: Int
    var height: Int
    var imageNum: Int
    var steps: Int
    var guidanceScale: Double
    var samplerName: String
    /// The resolved seed of image 0; image i uses seed + i (mod 2³²).
    var seed: UInt32
    var strength: Double
    var format: ImageFormat
    /// Upscale only: the factor in (1, 4].
    var scaleFactor: Double? = nil
    /// `task.task_type` in task-result when the endpoint definition names another than the kind's.
    var taskType: String? = nil
    /// `edit` only: the editor operation (`replace-background`).
    var operation: String? = nil
    /// Video kinds only: frames, rate, container and the prompt of each stretch of frames.
    var video: VideoParameters? = nil

    /// What task-result reports as `task.task_type`.
    var reportedTaskType: String { taskType ?? kind.rawValue }

    func seed(ofImage index: Int) -> UInt32 {
        seed &+ UInt32(truncatingIfNeeded: index)
    }
}

/// `extra.webhook` as accepted.
struct WebhookOptions: Sendable, Equatable {
    var url: String
    /// Test mode: the status to report at once, or nil when test mode is off.
    var testModeStatus: TaskStatus?
    /// The request's webhook object, echoed in `payload.extra.webhook`.
    var echo: JSONValue
}

/// `extra.custom_storage.aws_s3` as accepted.
struct S3Target: Sendable, Equatable {
    var region: String
    var bucket: String
    var path: String
    var saveToPathDirectly: Bool
}

/// The `extra` block as accepted.
struct ExtraOptions: Sendable, Equatable {
    var responseImageType: ImageFormat = .png
    var webhook: WebhookOptions? = nil
    var storage: S3Target? = nil
    var enterprise: Bool = false
    var nsfwDetection: Bool = false
    var nsfwLevel: Int = 0
}

/// How a task is to end, decided at submit (per-request headers, test mode) or forced later.
enum PlannedOutcome: Sendable, Equatable {
    case succeed
    case fail(reason: String)
}

/// Per-request timing overrides from the control headers (docs/contract.md §5), in mock milliseconds.
struct TimingOverrides: Sendable, Equatable {
    var processingMs: Int64? = nil
    var queueMs: Int64? = nil
}

/// Everything a handler hands the store to create a task.
struct TaskSubmission: Sendable {
    var tenant: String
    var parameters: GenerationParameters
    /// The seed as requested (-1 = draw one).
    var requestedSeed: Int64
    var inputImage: [UInt8]?
    var extra: ExtraOptions
    var outcome: PlannedOutcome = .succeed
    var timing = TimingOverrides()
    /// Where image URLs point: `--public-url`, else `http://` + the submit's Host.
    var imageBaseURL: String
    /// The request body with image data elided, kept for inspection.
    var requestSummary: [UInt8] = []
    /// The endpoint's own duration model applied to this request (video endpoints), in mock
    /// milliseconds before `--speed`; nil uses the store's SD timing model.
    var modelledProcessingMs: Double? = nil
    /// Finished when stored, whatever the clock: a synchronous endpoint's result, answered inline
    /// and kept as a task so its image URLs resolve (docs/contract.md §12).
    var finishedAtSubmit = false
}

/// One task as stored.
struct TaskRecord: Sendable {
    let id: String
    let serial: Int
    let tenant: String
    var parameters: GenerationParameters
    /// Key of the input image in the `InputImageStore`, if the task has one.
    var inputKey: String?
    var extra: ExtraOptions
    var outcome: PlannedOutcome
    var imageBaseURL: String
    var requestSummary: [UInt8]
    let submittedAt: Int64
    var durationMs: Int64
    var startedAt: Int64?
    var finishedAt: Int64?
    var status: TaskStatus
    var failureReason: String
    /// Its images are being copied to custom storage: the work is done, but the task reports
    /// PROCESSING until the copy succeeds (then SUCCEED) or fails (then FAILED).
    var awaitingStorage = false
}

extension TaskRecord {
    /// The same task under a new serial (serials are per process).
    init(copying record: TaskRecord, serial: Int) {
        self = TaskRecord(
            id: record.id, serial: serial, tenant: record.tenant, parameters: record.parameters,
            inputKey: record.inputKey, extra: record.extra, outcome: record.outcome, imageBaseURL: record.imageBaseURL,
            requestSummary: record.requestSummary, submittedAt: record.submittedAt, durationMs: record.durationMs,
            startedAt: record.startedAt, finishedAt: record.finishedAt, status: record.status,
            failureReason: record.failureReason, awaitingStorage: record.awaitingStorage)
    }
}
