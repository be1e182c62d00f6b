import ImageCodecs

/// The input images a submit names, by request field, whichever way they came: base64 (already
/// decoded by the validator), by URL (fetched now, docs/contract.md §12) or by assets id (read
/// from the assets host, §13.1). Blocking: the controller runs it on a blocking-work pool when
/// the endpoint takes URLs or ids.
struct SubmissionInputs {
    /// Where a field's images come from, when they do not come inline.
    enum Source {
        case url, asset
    }

    /// The images in request field order; array items are named `field[i]`.
    var images: [(name: String, bytes: [UInt8], header: ImageHeader)] = []
    /// The first URL that gave no image, as a task's reason.
    var fetchFailure: String?

    /// The rules of the object the fields stand in (`request` of a wrapped body).
    static func requestSchema(_ definition: EndpointDefinition) -> ObjectSchema {
        if definition.body == .wrapped, let rule = definition.schema.rule(named: "request"),
            case .object(let schema) = rule.kind
        {
            return schema
        }
        return definition.schema
    }

    /// Whether a rule's values are fetched (URLs) or looked up (assets ids).
    static func source(of kind: ValueKind) -> Source? {
        switch kind {
        case .imageURL, .array(of: .imageURL, _, _): .url
        case .assetsID, .array(of: .assetsID, _, _): .asset
        default: nil
        }
    }

    /// Gathers every input image of `request`.
    /// - Throws: 400 naming each assets id this key cannot see, or that is no image.
    static func gather(
        definition: EndpointDefinition, request: JSONObject, images: [String: InputImage], tenant: String,
        fetcher: InputImageFetcher, assets: AssetStore
    ) throws(APIError) -> SubmissionInputs {
        var inputs = SubmissionInputs()
        var violations: [Violation] = []
        let prefix = definition.body == .wrapped ? "request." : ""
        for rule in requestSchema(definition).fields {
            if case .image = rule.kind, let image = images[prefix + rule.name] {
                inputs.images.append((rule.name, image.bytes, image.header))
                continue
            }
            guard let source = source(of: rule.kind), let value = request[rule.name] else { continue }
            let values: [(name: String, text: String)]
            if let array = value.arrayValue {
                values = array.enumerated().compactMap { i, item in item.stringValue.map { ("\(rule.name)[\(i)]", $0) }
                }
            } else if let text = value.stringValue {
                values = [(rule.name, text)]
            } else {
                continue
            }
            for (name, text) in values {
                switch source {
                case .url:
                    guard inputs.fetchFailure == nil else { continue }
                    switch fetcher.fetch(text) {
                    case .success(let image): inputs.images.append((name, image.bytes, image.header))
                    case .failure(let failure): inputs.fetchFailure = failure.reason
                    }
                case .asset:
                    guard let bytes = assets.get(text, tenant: tenant) else {
                        violations.append(
                            Violation(
                                path: prefix + name,
                                expected:
                                    "an assets_id that PUT /image answered (to this key, or to an upload without one)",
                                actual: "\"\(text.prefix(80))\", which the assets host does not hold"))
                        continue
                    }
                    guard let header = try? ImageInspector.inspect(bytes, maxPixels: 16_777_216) else {
                        violations.append(
                            Violation(
                                path: prefix + name, expected: "the assets_id of an image (PNG, JPEG or WebP)",
                                actual: "\"\(text.prefix(80))\", whose \(bytes.count) bytes are no image"))
                        continue
                    }
                    inputs.images.append((name, bytes, header))
                }
            }
        }
        if !violations.isEmpty { throw APIError.violations(violations) }
        return inputs
    }

    /// What the task keeps: the one input as it came, or — for an editor with more than its
    /// `image_file` — all of them in an `InputBundle`. The header is the first image's.
    func stored(bundled: Bool) -> (bytes: [UInt8], header: ImageHeader)? {
        guard let first = images.first else { return nil }
        if !bundled || (images.count == 1 && first.name == "image_file") { return (first.bytes, first.header) }
        return (InputBundle.encode(images.map { ($0.name, $0.bytes) }), first.header)
    }
}
