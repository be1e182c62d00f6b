import ImageCodecs
import VideoCodecs

/// The media inputs a submit names, gathered one way for every mode (docs/contract.md §12): the
/// definition declares them (`inputs`, or what its field kinds imply: `declarations`), and each
/// value is read in whichever form it came — base64 already decoded by the validator, an
/// `http(s)` or `data:` URL (fetched now, at most `--max-fetch-mb`), bare base64 where the field
/// takes it, or an assets id (read from the assets host, §13.1) — and checked to be what it is
/// declared as: an image (PNG, JPEG, WebP), an audio file (MP3, WAV, AAC, OGG, FLAC) or an MP4
/// video. Blocking: controllers run it on the fetch pool when `fetches(_:)` says so.
struct SubmissionInputs {
    /// One gathered input.
    struct Item {
        /// The request field, array items as `field[i]` (`images[0]`, `input.img_url`).
        var name: String
        var media: MediaInputDeclaration.Media
        var role: MediaInputDeclaration.Role
        var bytes: [UInt8]
        /// Images: the inspected header.
        var header: ImageHeader?
        /// Videos: the container's first video track.
        var video: MP4Reader?
        /// Audio: the format the magic bytes name.
        var audioFormat: String?
    }

    var items: [Item] = []
    /// The first input that could not be had, as a task's reason (`failed to fetch <url>: <why>`).
    var fetchFailure: String?

    /// The images in declaration order; array items are named `field[i]`.
    var images: [(name: String, bytes: [UInt8], header: ImageHeader)] {
        items.compactMap { item in item.header.map { (item.name, item.bytes, $0) } }
    }

    /// The rules of the object the fields stand in (`request` of a wrapped body).
    static func requestSchema(_ definition: EndpointDefinition) -> ObjectSchema {
        if definition.body == .wrapped, let rule = definition.schema.rule(named: "request"),
            case .object(let schema) = rule.kind
        {
            return schema
        }
        return definition.schema
    }

    /// The definition's media inputs: those it declares, else those its fields imply — a base64
    /// `image` field, an `image_url` field or array, an `assets_id` field or array (images), a
    /// third-party model's `images`/`image`, and a video's first frame at `video.image`.
    static func declarations(_ definition: EndpointDefinition) -> [MediaInputDeclaration] {
        if !definition.inputs.isEmpty { return definition.inputs }
        var declared: [MediaInputDeclaration] = []
        if let first = definition.video?.image {
            declared.append(.init(path: first, media: .image, role: .first, forms: [.url, .dataURL, .base64]))
        }
        let urls: Set<MediaInputDeclaration.Form> = [.url, .dataURL]
        for rule in requestSchema(definition).fields where !declared.contains(where: { $0.path == rule.name }) {
            if definition.operation == ThirdPartyImage.operation {
                if rule.name == "images" || rule.name == "image" {
                    let path = rule.kind.isArray ? rule.name + ".*" : rule.name
                    declared.append(.init(path: path, media: .image, role: .input, forms: urls))
                }
                continue
            }
            switch rule.kind {
            case .image, .imageURL:
                declared.append(.init(path: rule.name, media: .image, role: .input, forms: urls))
            case .array(of: .imageURL, _, _):
                declared.append(.init(path: rule.name + ".*", media: .image, role: .input, forms: urls))
            case .assetsID:
                declared.append(.init(path: rule.name, media: .image, role: .input, forms: [.asset]))
            case .array(of: .assetsID, _, _):
                declared.append(.init(path: rule.name + ".*", media: .image, role: .input, forms: [.asset]))
            default: break
            }
        }
        return declared
    }

    /// Whether a submit reads anything by URL or assets id (so runs on the fetch pool, off the poll threads).
    static func fetches(_ definition: EndpointDefinition) -> Bool {
        let inline = requestSchema(definition).fields.filter {
            if case .image = $0.kind { return true }
            return false
        }.map(\.name)
        return declarations(definition).contains { !inline.contains($0.path) }
    }

    /// Gathers every declared input of `request` (the request object: `request` of a wrapped body).
    /// - Throws: 400 naming each assets id this key cannot see, or that is not the declared media.
    static func gather(
        definition: EndpointDefinition, request: JSONObject, images: [String: InputImage], tenant: String,
        fetcher: InputImageFetcher, assets: AssetStore?
    ) throws(APIError) -> SubmissionInputs {
        var inputs = SubmissionInputs()
        var violations: [Violation] = []
        let prefix = definition.body == .wrapped ? "request." : ""
        for declaration in declarations(definition) {
            if let image = images[prefix + declaration.path] {
                // Base64 the validator decoded (and inspected) already.
                inputs.items.append(
                    Item(
                        name: declaration.path, media: .image, role: declaration.role, bytes: image.bytes,
                        header: image.header))
                continue
            }
            for (name, text) in values(at: declaration.segments[...], in: .object(request), name: "")
            where !text.isEmpty {
                let lowered = text.prefix(8).lowercased()
                let isURL = lowered.hasPrefix("http://") || lowered.hasPrefix("https://") || lowered.hasPrefix("data:")
                if !isURL, declaration.forms.contains(.asset) {
                    guard let bytes = assets?.get(text, tenant: tenant) else {
                        violations.append(
                            Violation(
                                path: prefix + name,
                                expected:
                                    "an assets_id that PUT /\(declaration.media == .image ? "image" : "video") answered (to this key, or to an upload without one)",
                                actual: "\"\(text.prefix(80))\", which the assets host does not hold"))
                        continue
                    }
                    if declaration.media == .image {
                        guard let header = try? ImageInspector.inspect(bytes, maxPixels: 16_777_216) else {
                            violations.append(
                                Violation(
                                    path: prefix + name, expected: "the assets_id of an image (PNG, JPEG or WebP)",
                                    actual: "\"\(text.prefix(80))\", whose \(bytes.count) bytes are no image"))
                            continue
                        }
                        inputs.items.append(
                            Item(name: name, media: .image, role: declaration.role, bytes: bytes, header: header))
                        continue
                    }
                    guard inputs.fetchFailure == nil else { continue }
                    switch check(bytes, as: declaration, name: name, url: "assets id \(text.prefix(80))") {
                    case .success(let item): inputs.items.append(item)
                    case .failure(let failure): inputs.fetchFailure = failure.reason
                    }
                    continue
                }
                // After the first failure the task fails anyway: nothing more is fetched.
                guard inputs.fetchFailure == nil else { continue }
                let form: MediaInputDeclaration.Form =
                    lowered.hasPrefix("data:") ? .dataURL : isURL ? .url : .base64
                guard declaration.forms.contains(form) else {
                    let taken = MediaInputDeclaration.Form.allCases.filter(declaration.forms.contains)
                    inputs.fetchFailure =
                        InputImageFetcher.Failure(
                            url: isURL ? text : InputImageFetcher.Failure.bareBase64,
                            why:
                                "\(name) takes \(taken.map(\.description).joined(separator: " or ")), not \(form.description)"
                        ).reason
                    continue
                }
                let body: Result<[UInt8], InputImageFetcher.Failure> =
                    isURL
                    ? fetcher.fetchBytes(text)
                    : fetcher.decodeBase64(Substring(text), url: InputImageFetcher.Failure.bareBase64)
                switch body.flatMap({
                    check($0, as: declaration, name: name, url: isURL ? text : InputImageFetcher.Failure.bareBase64)
                }) {
                case .success(let item): inputs.items.append(item)
                case .failure(let failure): inputs.fetchFailure = failure.reason
                }
            }
        }
        if !violations.isEmpty { throw APIError.violations(violations) }
        return inputs
    }

    /// The strings at a declaration's path, each with its field name (`images[0]`, `input.img_url`).
    static func values(at path: ArraySlice<Substring>, in value: JSONValue, name: String) -> [(String, String)] {
        guard let head = path.first else { return value.stringValue.map { [(name, $0)] } ?? [] }
        let rest = path.dropFirst()
        if head == "*" {
            guard let array = value.arrayValue else { return [] }
            return array.enumerated().flatMap { index, item in values(at: rest, in: item, name: "\(name)[\(index)]") }
        }
        if let index = Int(head), let array = value.arrayValue {
            guard array.indices.contains(index) else { return [] }
            return values(at: rest, in: array[index], name: "\(name)[\(index)]")
        }
        guard let member = value.objectValue?[String(head)], !member.isNull else { return [] }
        return values(at: rest, in: member, name: name.isEmpty ? String(head) : "\(name).\(head)")
    }

    /// The bytes checked to be the declared media.
    static func check(_ bytes: [UInt8], as declaration: MediaInputDeclaration, name: String, url: String)
        -> Result<Item, InputImageFetcher.Failure>
    {
        var item = Item(name: name, media: declaration.media, role: declaration.role, bytes: bytes)
        switch declaration.media {
        case .image:
            guard let header = try? ImageInspector.inspect(bytes, maxPixels: 16_777_216) else {
                return .failure(.init(url: url, why: "not a PNG, JPEG or WebP image within 16 megapixels"))
            }
            item.header = header
        case .audio:
            guard let format = AudioSniffer.format(of: bytes) else {
                return .failure(
                    .init(
                        url: url,
                        why:
                            "\(name) is not an audio file (expected MP3, WAV, AAC, OGG or FLAC; \(AudioSniffer.describe(bytes)))"
                    ))
            }
            item.audioFormat = format
        case .video:
            do {
                item.video = try MP4Reader(bytes)
            } catch {
                return .failure(.init(url: url, why: "\(name) is not an MP4 video: \(error.description)"))
            }
        }
        return .success(item)
    }

    /// The first frame of a clip: the first image declared `first`, else the first plain input image.
    var firstFrame: Item? {
        items.first { $0.role == .first && $0.header != nil }
            ?? items.first { $0.role == .input && $0.header != nil }
    }

    /// What the task keeps: the one input as it came, or — for an editor with more than its
    /// `image_file` — all of them in an `InputBundle`. The header is the first image's.
    func stored(bundled: Bool) -> (bytes: [UInt8], header: ImageHeader)? {
        let images = self.images
        guard let first = images.first else { return nil }
        if !bundled || (images.count == 1 && first.name == "image_file") { return (first.bytes, first.header) }
        return (InputBundle.encode(images.map { ($0.name, $0.bytes) }), first.header)
    }

    /// The video a clip remakes (video-merge-face), as its container reads.
    var source: Item? { items.first { $0.role == .source && $0.video != nil } }

    /// What a video task keeps (docs/contract.md §14): the first frame alone as it came, or with an
    /// end frame, references, a source video or a face an `InputBundle` of `first`, `last`,
    /// `reference[i]`, `source` and `face`.
    func storedForVideo() -> [UInt8]? {
        let first = firstFrame
        let last = items.first { $0.role == .last && $0.header != nil }
        let references = items.filter { $0.role == .reference && $0.header != nil }
        let face = items.first { $0.role == .face && $0.header != nil }
        if last == nil && references.isEmpty && source == nil && face == nil { return first?.bytes }
        var bundle: [(name: String, bytes: [UInt8])] = []
        if let first { bundle.append((VideoInputs.first, first.bytes)) }
        if let last { bundle.append((VideoInputs.last, last.bytes)) }
        for (index, reference) in references.prefix(VideoInputs.maxReferences).enumerated() {
            bundle.append(("\(VideoInputs.reference)[\(index)]", reference.bytes))
        }
        if let source { bundle.append((VideoInputs.source, source.bytes)) }
        if let face { bundle.append((VideoInputs.face, face.bytes)) }
        return InputBundle.encode(bundle)
    }
}

/// The names a video task's input bundle uses.
enum VideoInputs {
    static let first = "first"
    static let last = "last"
    static let reference = "reference"
    static let source = "source"
    static let face = "face"
    /// References shown as insets; more are checked, not shown.
    static let maxReferences = 4
}

/// Names an audio file by its first bytes.
enum AudioSniffer {
    static func format(of bytes: [UInt8]) -> String? {
        func starts(_ magic: String, at offset: Int = 0) -> Bool {
            let m = Array(magic.utf8)
            return bytes.count >= offset + m.count && bytes[offset..<offset + m.count].elementsEqual(m)
        }
        if starts("RIFF"), starts("WAVE", at: 8) { return "wav" }
        if starts("ID3") { return "mp3" }
        if starts("OggS") { return "ogg" }
        if starts("fLaC") { return "flac" }
        if starts("ftyp", at: 4), bytes.count >= 12 {
            // M4A / MP4 audio: an ISO file whose brand says audio.
            let brand = String(decoding: bytes[8..<12], as: UTF8.self)
            if ["M4A ", "M4B ", "mp42", "isom", "dash"].contains(brand) { return "m4a" }
        }
        if bytes.count >= 2, bytes[0] == 0xFF {
            // An MPEG audio frame sync: MP3 (layer III) or ADTS AAC (layer 0).
            if bytes[1] & 0xF6 == 0xF0 { return "aac" }
            if bytes[1] & 0xE0 == 0xE0, bytes[1] & 0x06 != 0 { return "mp3" }
        }
        return nil
    }

    /// How the body starts, for the failure reason.
    static func describe(_ bytes: [UInt8]) -> String {
        if bytes.isEmpty { return "the body is empty" }
        let head = bytes.prefix(8).map { b in
            String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16)
        }
        return "the body starts \(head.joined(separator: " "))"
    }
}

extension ValueKind {
    var isArray: Bool {
        if case .array = self { return true }
        return false
    }
}
