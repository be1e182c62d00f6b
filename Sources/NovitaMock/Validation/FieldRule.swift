import ImageCodecs

/// What a field's value must be. One case per kind of rule in docs/contract.md §4; the validator, the error
/// messages and the generated OpenAPI document all read these, so they cannot disagree.
indirect enum ValueKind: Sendable {
    /// A string of `minLength...maxLength` Unicode scalars (`maxLength` nil: no upper bound).
    case string(minLength: Int, maxLength: Int?)
    case enumeration([String])
    case integer(min: Int64, max: Int64)
    case integerEnum([Int64])
    /// A number in the closed range, or with `minExclusive` the half-open `(min, max]`.
    case number(min: Double, max: Double, minExclusive: Bool)
    case boolean
    /// A base64 PNG/JPEG/WebP image (docs/contract.md §4.3) with this endpoint's limits.
    case image(ImageLimits)
    case httpURL
    /// An image given by URL: `http(s)://…` or a `data:image/…;base64,` URL (docs/contract.md §12).
    case imageURL
    /// An id the assets host answered (`PUT /image`, `PUT /video`; docs/contract.md §13.1). Its form
    /// is checked here; whether the caller's key uploaded it is checked at submit.
    case assetsID
    /// A size written `"<width>*<height>"` (the third-party models' `"1024*1024"`), each side in range.
    case sizeString(min: Int, max: Int)
    /// A size with a model's own vocabulary: separator, presets, pixel and aspect limits.
    case sizeSpec(SizeSpec)
    /// A string matching a regular expression (query parameters such as `pagination.cursor`).
    case patternString(String)
    case s3BucketName
    case s3ObjectPath
    case object(ObjectSchema)
    case array(of: ValueKind, minItems: Int, maxItems: Int?)

    static func number(_ min: Double, _ max: Double) -> ValueKind { .number(min: min, max: max, minExclusive: false) }
    static let nonEmptyString = ValueKind.string(minLength: 1, maxLength: nil)
}

/// Limits of an image field.
struct ImageLimits: Sendable {
    var maxBytes: Int = 10 * 1024 * 1024
    var maxPixels: Int = 16_777_216
    /// When set, each side must be at most this (the upscale endpoint: 2048).
    var maxSide: Int? = nil
    /// The formats an endpoint takes (remove-background: PNG and JPEG only); all three by default.
    var formats: [ImageFormat] = ImageFormat.allCases
}

/// Whether a field must be there.
enum Requirement: Sendable {
    case optional
    case required
    /// Required by the docs, but the official SDK may leave it null or out and fill in this
    /// value client-side; compat mode applies it with a warning (docs/contract.md §4.4).
    case requiredWithSDKDefault(JSONValue)
}

/// One field of an object.
struct FieldRule: Sendable {
    let name: String
    let kind: ValueKind
    let requirement: Requirement
    /// Explicit `null` is allowed even in strict mode (the docs type the field `number|null`).
    let nullable: Bool
    /// The documented default, when there is one (shown in OpenAPI, applied by the handler).
    let documentedDefault: JSONValue?
    let summary: String
    /// Enum values an official SDK sends that the docs do not list: accepted with a warning in
    /// compat mode, refused in strict mode (docs/contract.md §12).
    var compatValues: [String] = []
    /// An integer 0/1 field that an official SDK sends as `false`/`true` (the Python SDK's
    /// inpainting flags): compat mode takes the boolean as 0 or 1 with a warning.
    var compatBoolean = false

    init(
        _ name: String, _ kind: ValueKind, _ requirement: Requirement = .optional, nullable: Bool = false,
        default documentedDefault: JSONValue? = nil, _ summary: String = ""
    ) {
        self.name = name
        self.kind = kind
        self.requirement = requirement
        self.nullable = nullable
        self.documentedDefault = documentedDefault
        self.summary = summary
    }

    /// An optional field.
    init(
        _ name: String, _ kind: ValueKind, nullable: Bool = false, default documentedDefault: JSONValue? = nil,
        _ summary: String = ""
    ) {
        self.init(name, kind, .optional, nullable: nullable, default: documentedDefault, summary)
    }

    var isRequired: Bool {
        if case .optional = requirement { return false }
        return true
    }
}

/// A rule between two fields of one object.
enum ObjectConstraint: Sendable {
    /// `lower` ≤ `upper` when both are present.
    case notGreater(lower: String, upper: String)
    /// The image in the first field has the pixel size of the image in the second (a mask).
    case sameImageSize(String, as: String)
    /// The integer fields `width` and `height` exceed the size of the image field (outpainting).
    case largerThanImage(width: String, height: String, image: String)
    /// `x`, `y` lie within ±(canvas + image)/2 on their axis (outpainting's centre).
    case centreWithin(x: String, y: String, width: String, height: String, image: String)
    /// The integer `field` of every item of the array `array` adds up to at most `max`
    /// (txt2video: 128 frames over all of `prompts`).
    case sumAtMost(array: String, field: String, max: Int64)
}

/// The fields of a JSON object, in the order violations of missing fields are reported.
struct ObjectSchema: Sendable {
    let fields: [FieldRule]
    var constraints: [ObjectConstraint] = []

    init(_ fields: [FieldRule], constraints: [ObjectConstraint] = []) {
        self.fields = fields
        self.constraints = constraints
    }

    func rule(named name: String) -> FieldRule? {
        fields.first { $0.name == name }
    }
}
