/// One Novita endpoint as data: a file of `fixtures/endpoints/` (or of `--endpoints DIR`) read into
/// the values the router, the validator, `openapi.yaml`, the README table and
/// `GET /__mock/endpoints` all use (docs/endpoints.md describes the file format).
struct EndpointDefinition: Sendable {
    /// How the endpoint answers: which controller serves it.
    enum Mode: String, Sendable, CaseIterable {
        /// `{"task_id"}` now, the result from task-result later.
        case async
        /// `{"image_file": <base64>, "image_type": …}` after the modelled duration.
        case syncImage = "sync-image"
        /// `{"prompt": …}` after the modelled duration (img2prompt).
        case syncText = "sync-text"
        /// FLUX.1 schnell's inline answer: `{"task": {"task_id"}, "images": [{"image_url",
        /// "image_url_ttl": 604800, "image_type"}]}`.
        case syncTaskImages = "sync-task-images"
        /// Seedream 4.x: `{"images": ["<url>", …]}`.
        case syncURLs = "sync-urls"
        /// Seedream 3.0: `{"image_urls": […], "binary_data_base64": […]}` (one of them filled, by
        /// `response_format`).
        case syncImageURLs = "sync-image-urls"
        /// `GET /v3/async/task-result`.
        case taskResult = "task-result"
        /// `GET /v3/model`.
        case modelCatalog = "model-catalog"
        /// `GET /v3/user`: the tenant's features, credit balance and free trial.
        case account
        /// Training datasets and LoRA trainings (`/v3/assets/training_dataset`, `/v3/training…`);
        /// the operation says which call.
        case training
        /// `GET /v3/admin/video-unify-api/config`: each unified-video model's JSON Schema.
        case videoConfig = "video-config"
    }

    /// Where the request fields stand in the body.
    enum BodyShape: String, Sendable {
        /// `{"extra": {…}, "request": {…}}` (the async SD endpoints).
        case wrapped
        /// The fields at the top level, `extra` among them (the editors).
        case flat
        /// No body (GET).
        case none
    }

    /// How long the work takes at Novita, in mock milliseconds before `--speed`.
    struct DurationModel: Sendable, Equatable {
        var baseMs: Int64
        /// Per denoising step per image per 512² of output (the SD task model).
        var perStepMs: Int64
        /// Per megapixel of input (the editors).
        var perMegapixelMs: Int64
        /// Per output frame per 512² (the video endpoints).
        var perFrameMs: Int64 = 0
    }

    /// A video endpoint's clip when the request does not say: the model's native frame rate and
    /// length, and the size used when the request leaves width or height out.
    struct VideoDefaults: Sendable, Equatable {
        var framesPerSecond: Int
        var frames: Int
        var width: Int
        var height: Int
        /// Where the first frame is in the body, as a dotted path (`image`, `images.0`,
        /// `input.img_url`): a URL, a data URL or bare base64, fetched like `image_url`.
        var image: String? = nil
        /// The short side each value of the body's `mode` stands for (Kling's `Standard` is 720p,
        /// `Professional` 1080p), for models that name their resolution that way.
        var modeResolutions: [String: Int] = [:]
    }

    /// A documented per-minute limit (Novita's rate-limit table: images or requests per minute).
    struct RateLimitClass: Sendable, Equatable {
        var name: String
        var perMinute: Int
        var unit: String
    }

    /// What a call costs at Novita, in USD, per unit (`image`, `request`, `second` …).
    struct Price: Sendable, Equatable {
        var usd: Double
        var per: String
    }

    /// The file it came from (`img2img.json`), for error messages and `GET /__mock/endpoints`.
    var file: String
    var method: String
    var path: String
    var operationID: String
    var summary: String
    var mode: Mode
    var body: BodyShape
    /// The body's rules (for `wrapped`, the whole `{extra, request}` object).
    var schema: ObjectSchema
    /// The query parameters it knows; others are warned about (compat) or refused (strict).
    var query: [FieldRule]
    /// The names of `query`, looked up on every request (the parser fills it in).
    var queryNames: Set<String> = []
    /// The component name of the body schema in `openapi.yaml` (`Img2ImgBody`).
    var schemaName: String?
    var taskType: String?
    /// What it returns: `image`, `text`, `task`, `models`.
    var output: String
    /// The operation that makes the output (`img2img`, `cleanup` …), for the modes that run one.
    var operation: String?
    var duration: DurationModel?
    /// Video endpoints: the clip's defaults.
    var video: VideoDefaults?
    /// The unified video API: each `model` value and the path of the definition that serves it.
    var models: [String: String] = [:]
    var rateLimit: RateLimitClass?
    var price: Price?
    /// Where the contract comes from (Novita's reference page).
    var source: String
    var notes: String
    /// The documented example request body, when there is one.
    var example: JSONValue?
    /// Task-result's differences for this endpoint's tasks (`image_url_ttl`, keys of `extra`).
    var resultQuirks: JSONObject? = nil
    /// The definition as written (after `use` references were resolved), for `GET /__mock/endpoints`.
    var raw: JSONObject
    /// The media inputs the file declares (`inputs`); empty means those its field kinds imply
    /// (`SubmissionInputs.declarations`).
    var inputs: [MediaInputDeclaration] = []

    /// `METHOD path`, the identity of an endpoint (a later file with the same one replaces it).
    var key: String { "\(method) \(path)" }

    /// Task types nobody documented follow the naming rule of docs/contract.md §12: the UPPER_SNAKE
    /// of the path's last segment (`/v3/async/flux-2-pro` → `FLUX_2_PRO`).
    static func derivedTaskType(path: String) -> String {
        let last = path.split(separator: "/").last.map(String.init) ?? path
        return String(last.uppercased().map { $0 == "-" || $0 == "." ? "_" : $0 })
    }
}
