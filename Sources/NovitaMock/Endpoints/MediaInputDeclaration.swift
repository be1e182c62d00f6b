/// One media input of an endpoint (docs/endpoints.md, `inputs`): where in the request body it is,
/// what it must be (an image, a video, an audio file), which forms it may take (an `http(s)` URL,
/// a `data:` URL, bare base64, an assets id) and what the output does with it (the first or last
/// frame of a clip, a reference, a plain input). `SubmissionInputs` gathers every declared input
/// of a request with one fetcher (docs/contract.md §12).
struct MediaInputDeclaration: Sendable, Equatable {
    enum Media: String, Sendable, CaseIterable {
        case image, video, audio
    }

    enum Role: String, Sendable, CaseIterable {
        /// An image the output is made from (an edit's input, a third-party model's reference).
        case input
        /// A clip's first frame: frame 0 is this image.
        case first
        /// A clip's last frame: the clip ends on this image.
        case last
        /// A reference a clip is made "like": fetched, checked and shown as an inset.
        case reference
        /// A video the clip remakes (video-merge-face): the clip has its size, frame rate and
        /// frame count, and its decoded frames under the output.
        case source
        /// A face merged into every frame (video-merge-face).
        case face
    }

    enum Form: String, Sendable, CaseIterable {
        /// `http://` or `https://`, fetched by the mock's outbound client.
        case url
        /// `data:<type>;base64,…`, decoded in place.
        case dataURL = "data_url"
        /// Bare base64 (Seedance and Kling take it beside URLs).
        case base64
        /// An id `PUT /image` or `PUT /video` answered, read from the assets host.
        case asset

        /// For failure reasons: `an http(s) URL`, `a data URL` …
        var description: String {
            switch self {
            case .url: "an http(s) URL"
            case .dataURL: "a data URL"
            case .base64: "bare base64"
            case .asset: "an assets id"
            }
        }
    }

    /// Dotted path in the request object (inside `request` for a wrapped body); `*` stands for
    /// every item of an array, a number for one (`images.0`, `subjects.*.images.*`).
    var path: String
    var media: Media
    var role: Role
    var forms: Set<Form>

    /// The path's segments.
    var segments: [Substring] { path.split(separator: ".") }

    /// `inputs` of a definition file: an array of `{"path", "media", "role", "forms"}`.
    static func parse(_ values: [JSONValue], reader: DefinitionReader) throws(EndpointDefinitionError)
        -> [MediaInputDeclaration]
    {
        var declarations: [MediaInputDeclaration] = []
        for (index, value) in values.enumerated() {
            var child = try DefinitionReader(file: reader.file, path: "\(reader.path).inputs[\(index)]", value: value)
            let path = try child.requiredString("path")
            guard !path.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
                throw child.error(
                    "path", "expected a dotted path such as \"input.img_url\" or \"images.*\", got \"\(path)\"")
            }
            let mediaName = try child.string("media") ?? "image"
            guard let media = Media(rawValue: mediaName) else {
                throw child.error("media", "expected image, video or audio, got \"\(mediaName)\"")
            }
            let roleName = try child.string("role") ?? "input"
            guard let role = Role(rawValue: roleName) else {
                throw child.error(
                    "role",
                    "expected \(Role.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(roleName)\"")
            }
            guard media == .image || role == .input || role == .reference || (media == .video && role == .source)
            else {
                throw child.error("role", "only an image is a clip's first or last frame, or a face")
            }
            guard role != .source || media == .video else {
                throw child.error("role", "only a video is a clip's source")
            }
            var forms: Set<Form> = [.url, .dataURL]
            if let names = try child.array("forms") {
                let parsed = names.compactMap { $0.stringValue.flatMap(Form.init(rawValue:)) }
                guard parsed.count == names.count, !parsed.isEmpty else {
                    throw child.error(
                        "forms",
                        "expected a non-empty array of \(Form.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))"
                    )
                }
                forms = Set(parsed)
            }
            try child.finish("an input")
            declarations.append(MediaInputDeclaration(path: path, media: media, role: role, forms: forms))
        }
        return declarations
    }
}
