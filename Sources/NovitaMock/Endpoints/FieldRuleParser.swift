import ImageCodecs

/// Turns the field rules of a definition file into the validator's `FieldRule`s. The vocabulary
/// (`type`, `min`, `max`, `values`, `required` …) is the validator's own, written as JSON
/// (docs/endpoints.md lists every key).
struct FieldRuleParser {
    let vocabulary: EndpointVocabulary

    /// A named field: `{"name": …, "type": …}` or `{"use": "<vocabulary field>"}`.
    func field(_ value: JSONValue, file: String, path: String) throws(EndpointDefinitionError) -> FieldRule {
        let resolved = try vocabulary.resolvingUse(value, file: file, path: path)
        var reader = try DefinitionReader(file: file, path: path, value: resolved)
        let name = try reader.requiredString("name")
        let requirement: Requirement
        switch reader.value("required") {
        case nil, .bool(false)?: requirement = .optional
        case .bool(true)?: requirement = .required
        case .string("sdk_default")?:
            guard let value = reader.value("sdk_default") else {
                throw reader.error(
                    "sdk_default", "missing: \"required\": \"sdk_default\" needs the value the SDK fills in")
            }
            requirement = .requiredWithSDKDefault(value)
        case let other?:
            throw reader.error(
                "required", "expected true, false or \"sdk_default\", got \(RequestValidator.describe(other))")
        }
        if case .requiredWithSDKDefault = requirement {} else { _ = reader.value("sdk_default") }
        let nullable = try reader.bool("nullable") ?? false
        let documentedDefault = reader.value("default")
        let summary = try reader.string("summary") ?? ""
        _ = try reader.string("source")  // where the rule comes from: documentation for people
        let kind: ValueKind
        do {
            kind = try self.kind(&reader)
        } catch {
            // A misspelt key ("max_lenght") is the likelier cause of a missing one: say so first.
            if let typo = reader.object.keys.first(where: { !Self.ruleKeys.contains($0) }) {
                throw reader.error(typo, "unknown key (see docs/endpoints.md for the keys a rule takes)")
            }
            throw error
        }
        var compatValues: [String] = []
        if let values = try reader.array("compat_values") {
            compatValues = values.compactMap(\.stringValue)
            guard case .enumeration = kind, compatValues.count == values.count else {
                throw reader.error("compat_values", "an enum rule's extra values, as strings")
            }
        }
        let compatBoolean = try reader.bool("compat_boolean") ?? false
        if compatBoolean {
            guard case .integerEnum(let values) = kind, Set(values) == [0, 1] else {
                throw reader.error("compat_boolean", "only an integer rule with \"values\": [0, 1] takes booleans")
            }
        }
        try reader.finish("a rule")
        var rule = FieldRule(name, kind, requirement, nullable: nullable, default: documentedDefault, summary)
        rule.compatValues = compatValues
        rule.compatBoolean = compatBoolean
        return rule
    }

    /// The fields of an object, in order.
    func fields(_ values: [JSONValue], file: String, path: String) throws(EndpointDefinitionError) -> [FieldRule] {
        var rules: [FieldRule] = []
        for (index, value) in values.enumerated() {
            let rule = try field(value, file: file, path: "\(path)[\(index)]")
            if rules.contains(where: { $0.name == rule.name }) {
                throw EndpointDefinitionError(
                    file: file, path: "\(path)[\(index)].name", problem: "\"\(rule.name)\" is defined twice")
            }
            rules.append(rule)
        }
        return rules
    }

    func objectSchema(fields: [JSONValue], constraints: [JSONValue]?, file: String, path: String)
        throws(EndpointDefinitionError) -> ObjectSchema
    {
        let rules = try self.fields(fields, file: file, path: "\(path).fields")
        var parsed: [ObjectConstraint] = []
        for (index, value) in (constraints ?? []).enumerated() {
            parsed.append(
                try constraint(value, names: rules.map(\.name), file: file, path: "\(path).constraints[\(index)]"))
        }
        return ObjectSchema(rules, constraints: parsed)
    }

    /// Every key a field rule may have, whatever its type.
    static let ruleKeys: Set<String> = [
        "name", "type", "required", "sdk_default", "nullable", "default", "summary", "source", "min_length",
        "max_length", "pattern", "values", "min", "max", "min_exclusive", "max_bytes", "max_pixels", "max_side",
        "formats", "fields", "constraints", "items", "min_items", "max_items", "compat_values",
        "separator", "presets", "min_pixels", "multiple_of", "max_aspect", "compat_boolean",
    ]

    // MARK: kinds

    private func kind(_ reader: inout DefinitionReader) throws(EndpointDefinitionError) -> ValueKind {
        let type = try reader.requiredString("type")
        switch type {
        case "string":
            let minLength = Int(try reader.integer("min_length") ?? 0)
            let maxLength = try reader.integer("max_length").map(Int.init)
            if let pattern = try reader.string("pattern") {
                guard (try? Regex(pattern)) != nil else {
                    throw reader.error("pattern", "not a valid regular expression")
                }
                return .patternString(pattern)
            }
            return .string(minLength: minLength, maxLength: maxLength)
        case "enum":
            switch reader.value("values") {
            case .string(let name)?:
                guard let values = vocabulary.enums[name] else {
                    throw reader.error(
                        "values",
                        "no shared enum named \"\(name)\" (known: \(vocabulary.enums.keys.sorted().joined(separator: ", ")))"
                    )
                }
                return .enumeration(values)
            case .array(let items)?:
                let values = items.compactMap(\.stringValue)
                guard values.count == items.count, !values.isEmpty else {
                    throw reader.error("values", "expected a non-empty array of strings")
                }
                return .enumeration(values)
            default:
                throw reader.error("values", "missing: an array of strings or the name of a shared enum")
            }
        case "integer":
            if let items = try reader.array("values") {
                let values = items.compactMap(\.integerValue)
                guard values.count == items.count, !values.isEmpty else {
                    throw reader.error("values", "expected a non-empty array of integers")
                }
                return .integerEnum(values)
            }
            guard let min = try reader.integer("min"), let max = try reader.integer("max") else {
                throw reader.error(nil, "an integer rule needs \"min\" and \"max\", or \"values\"")
            }
            guard min <= max else { throw reader.error("max", "is below min (\(min))") }
            return .integer(min: min, max: max)
        case "number":
            guard let min = try reader.number("min"), let max = try reader.number("max") else {
                throw reader.error(nil, "a number rule needs \"min\" and \"max\"")
            }
            guard min <= max else { throw reader.error("max", "is below min") }
            return .number(min: min, max: max, minExclusive: try reader.bool("min_exclusive") ?? false)
        case "boolean":
            return .boolean
        case "image":
            var limits = ImageLimits()
            if let bytes = try reader.integer("max_bytes") { limits.maxBytes = Int(bytes) }
            if let pixels = try reader.integer("max_pixels") { limits.maxPixels = Int(pixels) }
            limits.maxSide = try reader.integer("max_side").map(Int.init)
            if let formats = try reader.array("formats") {
                let parsed = formats.compactMap { $0.stringValue.flatMap(ImageFormat.init(rawValue:)) }
                guard parsed.count == formats.count, !parsed.isEmpty else {
                    throw reader.error("formats", "expected a non-empty array of \"png\", \"jpeg\", \"webp\"")
                }
                limits.formats = parsed
            }
            return .image(limits)
        case "image_url": return .imageURL
        case "assets_id": return .assetsID
        case "http_url": return .httpURL
        case "s3_bucket": return .s3BucketName
        case "s3_path": return .s3ObjectPath
        case "size":
            guard let min = try reader.integer("min"), let max = try reader.integer("max") else {
                throw reader.error(nil, "a size rule (\"1024*1024\") needs \"min\" and \"max\" for each side")
            }
            guard min >= 1, min <= max else { throw reader.error("max", "expected 1 ≤ min ≤ max") }
            var spec = SizeSpec(minSide: Int(min), maxSide: Int(max))
            var extended = false
            if let separator = try reader.string("separator") {
                guard separator == "*" || separator == "x" else {
                    throw reader.error("separator", "expected \"*\" or \"x\", got \"\(separator)\"")
                }
                spec.separator = separator == "x" ? "x" : "*"
                extended = spec.separator != "*"
            }
            if let pixels = try reader.integer("min_pixels") {
                spec.minPixels = Int(pixels)
                extended = true
            }
            if let pixels = try reader.integer("max_pixels") {
                spec.maxPixels = Int(pixels)
                extended = true
            }
            if let multiple = try reader.integer("multiple_of") {
                guard multiple >= 1 else { throw reader.error("multiple_of", "expected an integer ≥ 1") }
                spec.multipleOf = Int(multiple)
                extended = true
            }
            if let aspect = try reader.number("max_aspect") {
                guard aspect >= 1 else { throw reader.error("max_aspect", "expected a number ≥ 1") }
                spec.maxAspect = aspect
                extended = true
            }
            if let presets = try reader.child("presets") {
                for (name, value) in presets.object.entries {
                    guard let pair = value.arrayValue, pair.count == 2, let width = pair[0].integerValue,
                        let height = pair[1].integerValue, width >= 1, height >= 1, width * height <= 16_777_216
                    else {
                        throw presets.error(
                            name, "expected [width, height], two positive integers, at most 16777216 pixels")
                    }
                    spec.presets.append((name, Int(width), Int(height)))
                }
                extended = true
            }
            return extended ? .sizeSpec(spec) : .sizeString(min: Int(min), max: Int(max))
        case "object":
            let fields = try reader.array("fields") ?? []
            let constraints = try reader.array("constraints")
            return .object(
                try objectSchema(fields: fields, constraints: constraints, file: reader.file, path: reader.path))
        case "array":
            guard let itemsValue = reader.value("items") else {
                throw reader.error("items", "missing: the rule of each item")
            }
            let resolved = try vocabulary.resolvingUse(itemsValue, file: reader.file, path: "\(reader.path).items")
            var items = try DefinitionReader(file: reader.file, path: "\(reader.path).items", value: resolved)
            let element = try kind(&items)
            _ = try items.string("summary")
            try items.finish("a rule")
            let minItems = Int(try reader.integer("min_items") ?? 0)
            let maxItems = try reader.integer("max_items").map(Int.init)
            return .array(of: element, minItems: minItems, maxItems: maxItems)
        default:
            throw reader.error(
                "type",
                "unknown type \"\(type)\" (string, enum, integer, number, boolean, image, image_url, assets_id, http_url, s3_bucket, s3_path, size, object, array)"
            )
        }
    }

    // MARK: constraints

    private func constraint(_ value: JSONValue, names: [String], file: String, path: String)
        throws(EndpointDefinitionError) -> ObjectConstraint
    {
        var reader = try DefinitionReader(file: file, path: path, value: value)
        func name(_ key: String) throws(EndpointDefinitionError) -> String {
            let field = try reader.requiredString(key)
            guard names.contains(field) else { throw reader.error(key, "no field \"\(field)\" in this object") }
            return field
        }
        let kind = try reader.requiredString("kind")
        let parsed: ObjectConstraint
        switch kind {
        case "not_greater":
            parsed = .notGreater(lower: try name("lower"), upper: try name("upper"))
        case "same_size":
            parsed = .sameImageSize(try name("image"), as: try name("reference"))
        case "larger_than_image":
            parsed = .largerThanImage(width: try name("width"), height: try name("height"), image: try name("image"))
        case "centre_within":
            parsed = .centreWithin(
                x: try name("center_x"), y: try name("center_y"), width: try name("width"), height: try name("height"),
                image: try name("image"))
        case "sum_at_most":
            let array = try name("array")
            let field = try reader.requiredString("field")
            guard let max = try reader.integer("max"), max >= 0 else {
                throw reader.error("max", "missing (an integer ≥ 0)")
            }
            parsed = .sumAtMost(array: array, field: field, max: max)
        default:
            throw reader.error(
                "kind",
                "unknown constraint \"\(kind)\" (not_greater, same_size, larger_than_image, centre_within, sum_at_most)"
            )
        }
        try reader.finish("a constraint")
        return parsed
    }
}
