import ImageCodecs
import MicroHTTP
import OutboundHTTP

/// How literally the docs are read (docs/contract.md §4.4).
enum ValidationMode: Sendable, Equatable {
    /// What the official SDKs send is accepted: null is absent, SDK defaults fill required
    /// fields, unknown keys are ignored; each tolerance becomes a warning.
    case compat
    /// The docs to the letter: every tolerance above is a violation.
    case strict
}

/// An input image that passed its checks: the decoded file bytes, what its header says, and its
/// pixels (validation decodes every image in full anyway, so an editor need not decode it again).
struct InputImage: Sendable, Equatable {
    let bytes: [UInt8]
    let header: ImageHeader
    let pixels: PixelBuffer
}

/// A body that passed every rule.
struct ValidatedBody: Sendable {
    /// The body with nulls removed and SDK defaults applied (compat mode), keys in body order.
    let body: JSONObject
    /// Every image field's decoded bytes, by JSON path (`request.image_base64` …).
    let images: [String: InputImage]
    /// The tolerances applied, one sentence each.
    let warnings: [String]
}

/// Walks a JSON body against an `ObjectSchema`, collecting every violation (docs/contract.md §3 order: those
/// of keys present in the body, in body order, then missing required fields in table order).
struct RequestValidator {
    let mode: ValidationMode
    private var present: [Violation] = []
    private var missing: [Violation] = []
    private var warnings: [String] = []
    private var images: [String: InputImage] = [:]

    init(mode: ValidationMode) {
        self.mode = mode
    }

    /// Parses and validates a request body against `schema`.
    /// - Throws: `APIError` (400 `INVALID_REQUEST_BODY`) naming the first violation.
    static func validate(body: [UInt8], schema: ObjectSchema, mode: ValidationMode) throws(APIError) -> ValidatedBody {
        let json: JSONValue
        do {
            json = try JSONParser.parse(body)
        } catch {
            // The same metadata keys as a rule violation, plus where the parse stopped.
            let sentence = "request body is not valid JSON: \(error.description)"
            throw APIError.invalidBody(
                sentence,
                metadata: [
                    ("path", "$"), ("expected", "a valid JSON document"), ("actual", error.description),
                    ("violation_count", "1"), ("violations", sentence), ("offset", String(error.offset)),
                    ("reason", error.reason),
                ])
        }
        guard case .object(let object) = json else {
            throw APIError.violations([
                Violation(path: "body", expected: "a JSON object", actual: RequestValidator.describe(json))
            ])
        }
        var validator = RequestValidator(mode: mode)
        let normalized = validator.validateObject(object, schema: schema, path: "")
        let violations = validator.present + validator.missing
        if !violations.isEmpty {
            var error = APIError.violations(violations)
            // Tolerances applied before the refusal are reported too (docs/contract.md §4.4: every one is listed).
            if !validator.warnings.isEmpty {
                error.headers.set(MockWarnings.header, MockWarnings.headerValue(validator.warnings))
            }
            throw error
        }
        return ValidatedBody(body: normalized, images: validator.images, warnings: validator.warnings)
    }

    private static func join(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : "\(path).\(name)"
    }

    // MARK: objects

    private mutating func validateObject(_ object: JSONObject, schema: ObjectSchema, path: String) -> JSONObject {
        var normalized = JSONObject()
        var nulled = Set<String>()
        for (key, value) in object.entries {
            let fieldPath = RequestValidator.join(path, key)
            guard let rule = schema.rule(named: key) else {
                if mode == .strict {
                    present.append(
                        Violation(
                            path: fieldPath, expected: "absent (not a documented field)",
                            actual: RequestValidator.describe(value)))
                } else {
                    warnings.append("\(fieldPath): unknown field ignored")
                }
                continue
            }
            if value.isNull {
                nulled.insert(key)
                if rule.nullable { continue }
                if mode == .strict {
                    present.append(
                        Violation(path: fieldPath, expected: RequestValidator.expectation(rule.kind), actual: "null"))
                } else if !rule.isRequired {
                    warnings.append("\(fieldPath): null treated as absent")
                }
                continue
            }
            if mode == .compat, let text = value.stringValue, rule.compatValues.contains(text) {
                warnings.append("\(fieldPath): \"\(text)\" is an SDK's value, not the docs'; accepted in compat mode")
                normalized[key] = value
                continue
            }
            if mode == .compat, case .enumeration(let values) = rule.kind, let number = value.integerValue,
                values.contains(String(number))
            {
                // FLUX Kontext's safety_tolerance: a string enum whose documented default is the number 2.
                warnings.append(
                    "\(fieldPath): the number \(number) where the docs type a string; accepted as \"\(number)\" in compat mode"
                )
                normalized[key] = .string(String(number))
                continue
            }
            if mode == .compat, rule.compatBoolean, let flag = value.boolValue {
                warnings.append(
                    "\(fieldPath): \(flag) is an SDK's value, not the docs' 0 or 1; taken as \(flag ? 1 : 0)")
                normalized[key] = .number(JSONNumber(Int64(flag ? 1 : 0)))
                continue
            }
            if let checked = validateValue(value, kind: rule.kind, path: fieldPath) {
                normalized[key] = checked
            }
        }
        for rule in schema.fields
        where normalized[rule.name] == nil && object[rule.name] == nil || nulled.contains(rule.name) {
            let fieldPath = RequestValidator.join(path, rule.name)
            let actual = nulled.contains(rule.name) ? "null" : "nothing (the field is missing)"
            switch rule.requirement {
            case .optional:
                continue
            case .required:
                if nulled.contains(rule.name) && mode == .strict { continue }  // reported where it stood
                missing.append(
                    Violation(path: fieldPath, expected: RequestValidator.expectation(rule.kind), actual: actual))
            case .requiredWithSDKDefault(let defaultValue):
                if mode == .strict {
                    if !nulled.contains(rule.name) {
                        missing.append(
                            Violation(
                                path: fieldPath, expected: RequestValidator.expectation(rule.kind), actual: actual))
                    }
                } else {
                    normalized[rule.name] = defaultValue
                    let shown = JSONWriter.string(defaultValue)
                    warnings.append(
                        "\(fieldPath): \(nulled.contains(rule.name) ? "null" : "missing"), SDK default \(shown) applied"
                    )
                }
            }
        }
        for constraint in schema.constraints {
            switch constraint {
            case .notGreater(let lower, let upper):
                if let low = normalized[lower]?.doubleValue, let high = normalized[upper]?.doubleValue, low > high {
                    present.append(
                        Violation(
                            path: RequestValidator.join(path, upper),
                            expected: "a number not below \(lower) (\(RequestValidator.format(low)))",
                            actual: RequestValidator.format(high)))
                }
            case .sameImageSize(let field, let reference):
                if let image = images[RequestValidator.join(path, field)]?.header,
                    let base = images[RequestValidator.join(path, reference)]?.header,
                    image.width != base.width || image.height != base.height
                {
                    present.append(
                        Violation(
                            path: RequestValidator.join(path, field),
                            expected: "an image of the size of \(reference) (\(base.width)x\(base.height))",
                            actual: "\(image.width)x\(image.height)"))
                }
            case .largerThanImage(let width, let height, let image):
                guard let base = images[RequestValidator.join(path, image)]?.header else { break }
                for (field, side, name) in [(width, base.width, "width"), (height, base.height, "height")] {
                    if let value = normalized[field]?.integerValue, value <= side {
                        present.append(
                            Violation(
                                path: RequestValidator.join(path, field),
                                expected: "an integer larger than the \(name) of \(image) (\(side))",
                                actual: String(value)))
                    }
                }
            case .centreWithin(let x, let y, let width, let height, let image):
                guard let base = images[RequestValidator.join(path, image)]?.header else { break }
                for (field, canvas, side) in [(x, width, base.width), (y, height, base.height)] {
                    guard let value = normalized[field]?.integerValue, let extent = normalized[canvas]?.integerValue
                    else { continue }
                    let limit = (extent + Int64(side)) / 2
                    if value < -limit || value > limit {
                        present.append(
                            Violation(
                                path: RequestValidator.join(path, field),
                                expected: "an integer in [-\(limit), \(limit)] (±(\(canvas) + the image's \(side))/2)",
                                actual: String(value)))
                    }
                }
            case .sumAtMost(let array, let field, let max):
                guard let items = normalized[array]?.arrayValue else { break }
                let total = items.reduce(Int64(0)) { $0 + ($1.objectValue?[field]?.integerValue ?? 0) }
                if total > max {
                    present.append(
                        Violation(
                            path: RequestValidator.join(path, array),
                            expected: "items whose \(field) add up to at most \(max)",
                            actual: "\(total) in all"))
                }
            }
        }
        return normalized
    }

    // MARK: values

    /// Checks one non-null value; returns it (normalized) when it passed, nil after recording a
    /// violation.
    private mutating func validateValue(_ value: JSONValue, kind: ValueKind, path: String) -> JSONValue? {
        func fail(_ actual: String? = nil) -> JSONValue? {
            present.append(
                Violation(
                    path: path, expected: RequestValidator.expectation(kind),
                    actual: actual ?? RequestValidator.describe(value)))
            return nil
        }
        switch kind {
        case .string(let minLength, let maxLength):
            guard let string = value.stringValue else { return fail() }
            let count = string.unicodeScalars.count
            if count < minLength || (maxLength.map { count > $0 } ?? false) {
                return fail(RequestValidator.describe(value))
            }
            return value
        case .enumeration(let allowed):
            guard let string = value.stringValue, allowed.contains(string) else { return fail() }
            return value
        case .integer(let min, let max):
            guard let integer = value.integerValue, integer >= min, integer <= max else { return fail() }
            return .number(JSONNumber(integer))
        case .integerEnum(let allowed):
            guard let integer = value.integerValue, allowed.contains(integer) else { return fail() }
            return .number(JSONNumber(integer))
        case .number(let min, let max, let minExclusive):
            guard let double = value.doubleValue else { return fail() }
            let aboveMin = minExclusive ? double > min : double >= min
            guard aboveMin, double <= max else { return fail() }
            return value
        case .boolean:
            guard value.boolValue != nil else { return fail() }
            return value
        case .httpURL:
            guard let string = value.stringValue else { return fail() }
            // The outbound client's own parser: a URL accepted here is one it can deliver to.
            if case .failure(let problem) = OutboundURL.parse(string) {
                return fail("\(RequestValidator.describe(value)), which is not usable: \(problem)")
            }
            return value
        case .imageURL:
            guard let string = value.stringValue, RequestValidator.isImageURL(string) else { return fail() }
            return value
        case .assetsID:
            guard let string = value.stringValue, AssetStore.isWellFormedID(string) else { return fail() }
            return value
        case .sizeString(let min, let max):
            guard let string = value.stringValue, let (width, height) = RequestValidator.size(string),
                (min...max).contains(width), (min...max).contains(height)
            else { return fail() }
            return value
        case .sizeSpec(let spec):
            guard let string = value.stringValue, spec.accepted(string) != nil else { return fail() }
            return value
        case .patternString(let pattern):
            guard let string = value.stringValue, (try? Regex(pattern).wholeMatch(in: string)) != nil else {
                return fail()
            }
            return value
        case .s3BucketName:
            guard let string = value.stringValue, S3Names.isValidBucketName(string) else { return fail() }
            return value
        case .s3ObjectPath:
            guard let string = value.stringValue, S3Names.isValidPath(string) else { return fail() }
            return value
        case .image(let limits):
            guard let string = value.stringValue else { return fail() }
            return validateImage(string, limits: limits, path: path) ? value : nil
        case .object(let schema):
            guard let object = value.objectValue else { return fail() }
            return .object(validateObject(object, schema: schema, path: path))
        case .array(let element, let minItems, let maxItems):
            guard let array = value.arrayValue else { return fail() }
            if array.count < minItems || (maxItems.map { array.count > $0 } ?? false) { return fail() }
            var checked: [JSONValue] = []
            for (i, item) in array.enumerated() {
                let itemPath = "\(path)[\(i)]"
                if item.isNull {
                    present.append(
                        Violation(path: itemPath, expected: RequestValidator.expectation(element), actual: "null"))
                    continue
                }
                if let ok = validateValue(item, kind: element, path: itemPath) { checked.append(ok) }
            }
            return .array(checked)
        }
    }

    // MARK: images

    private mutating func validateImage(_ text: String, limits: ImageLimits, path: String) -> Bool {
        func violate(_ expected: String, _ actual: String) -> Bool {
            present.append(Violation(path: path, expected: expected, actual: actual))
            return false
        }
        var payload = Substring(text)
        if payload.hasPrefix("data:") {
            guard let comma = payload.firstIndex(of: ","), payload[..<comma].hasSuffix(";base64") else {
                return violate("base64 image data", "a data: URL that is not base64")
            }
            if mode == .strict {
                return violate("plain base64 image data (no data: URL prefix)", "a data: URL prefix")
            }
            warnings.append("\(path): data: URL prefix stripped")
            payload = payload[payload.index(after: comma)...]
        }
        let bytes: [UInt8]
        do {
            guard let decoded = try Base64.decode(payload.utf8, maxBytes: limits.maxBytes) else {
                return violate(
                    "an image of at most \(limits.maxBytes) bytes (decoded)",
                    "more than \(limits.maxBytes) bytes")
            }
            bytes = decoded
        } catch {
            let actual: String
            switch error {
            case .invalidCharacter(let offset): actual = "an invalid base64 character at offset \(offset)"
            case .invalidLength: actual = "base64 text of an impossible length"
            case .misplacedPadding(let offset): actual = "'=' padding inside the data at offset \(offset)"
            }
            return violate("standard base64 image data", actual)
        }
        if bytes.isEmpty { return violate("a PNG, JPEG or WebP image", "an empty string") }
        do {
            let header = try ImageInspector.inspect(bytes, maxPixels: limits.maxPixels)
            if !limits.formats.contains(header.format) {
                return violate(
                    "a " + limits.formats.map { $0.rawValue.uppercased() }.joined(separator: " or ") + " image",
                    "a \(header.format.rawValue.uppercased()) image")
            }
            if let side = limits.maxSide, header.width > side || header.height > side {
                return violate(
                    "an image of at most \(side)x\(side) pixels", "\(header.width)x\(header.height) pixels")
            }
            // A sound structure can still hold pixel data that does not decode (a header claiming
            // more rows than the data has, a bad filter byte, a garbled bitstream): decode it all
            // once so such a file is refused here, not by its task's download later (docs/contract.md §4.3).
            let pixels = try ImageDecoder.decode(bytes, maxPixels: limits.maxPixels)
            images[path] = InputImage(bytes: bytes, header: header, pixels: pixels)
            return true
        } catch {
            switch error {
            case .unrecognizedFormat:
                let start = bytes.prefix(4).map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
                return violate("a PNG, JPEG or WebP image", "data in none of those formats (first bytes \(start))")
            case .tooManyPixels(let width, let height, let limit):
                return violate(
                    "an image of at most \(limit) pixels (16 megapixels)",
                    "\(width)x\(height) = \(width * height) pixels")
            case .truncated(let format):
                return violate("a complete \(format.rawValue.uppercased()) image", "a truncated file")
            case .corrupt(let format, let why):
                return violate("a valid \(format.rawValue.uppercased()) image", "a corrupt file (\(why))")
            case .encodingFailed(let why):
                return violate("a PNG, JPEG or WebP image", why)
            }
        }
    }

    // MARK: descriptions

    /// What a kind expects, as the words after "must be".
    static func expectation(_ kind: ValueKind) -> String {
        switch kind {
        case .string(let minLength, let maxLength):
            switch (minLength, maxLength) {
            case (0, let max?): return "a string of at most \(max) characters"
            case (1, nil): return "a non-empty string"
            case (let min, let max?): return "a string of \(min) to \(max) characters"
            case (let min, nil): return "a string of at least \(min) characters"
            }
        case .enumeration(let allowed):
            return "one of " + allowed.map { "'\($0)'" }.joined(separator: ", ")
        case .integer(let min, let max): return "an integer in [\(min), \(max)]"
        case .integerEnum(let allowed): return "one of the integers " + allowed.map(String.init).joined(separator: ", ")
        case .number(let min, let max, let minExclusive):
            return "a number in \(minExclusive ? "(" : "[")\(format(min)), \(format(max))]"
        case .boolean: return "a boolean"
        case .image: return "a base64 PNG, JPEG or WebP image"
        case .httpURL: return "an absolute http or https URL"
        case .imageURL: return "an image URL (http, https, or data:image/…;base64,…)"
        case .assetsID: return "an assets_id answered by PUT /image or PUT /video"
        case .sizeString(let min, let max): return "a size \"<width>*<height>\" with each side in [\(min), \(max)]"
        case .sizeSpec(let spec): return spec.description
        case .patternString(let pattern): return "a string matching \(pattern)"
        case .s3BucketName: return "an S3 bucket name (3-63 lowercase letters, digits, '.', '-')"
        case .s3ObjectPath: return "an S3 key prefix without '..' segments"
        case .object: return "an object"
        case .array(_, let minItems, let maxItems):
            switch (minItems, maxItems) {
            case (0, let max?): return "an array of at most \(max) item\(max == 1 ? "" : "s")"
            case (let min, nil): return "an array of at least \(min) item\(min == 1 ? "" : "s")"
            case (let min, let max?): return "an array of \(min) to \(max) items"
            }
        }
    }

    /// `http(s)://…` as the outbound client takes it, or a base64 `data:image/…` URL.
    static func isImageURL(_ string: String) -> Bool {
        if string.hasPrefix("data:") {
            guard let comma = string.firstIndex(of: ",") else { return false }
            let head = string[..<comma]
            return head.hasPrefix("data:image/") && head.hasSuffix(";base64")
        }
        if case .success = OutboundURL.parse(string) { return true }
        return false
    }

    /// `"1024*768"` → (1024, 768).
    static func size(_ string: String) -> (Int, Int)? {
        let parts = string.split(separator: "*", omittingEmptySubsequences: false)
        guard parts.count == 2,
            parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            parts.allSatisfy({ $0.count <= 6 }), let width = Int(parts[0]), let height = Int(parts[1])
        else { return nil }
        return (width, height)
    }

    static func format(_ double: Double) -> String {
        if double.rounded() == double && abs(double) < 1e15 { return String(Int64(double)) }
        return String(double)
    }

    /// What came, short enough for one sentence.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n.integer.map(String.init) ?? format(n.double)
        case .string(let s):
            let count = s.unicodeScalars.count
            if count > 40 {
                return
                    "a string of \(count) characters (\"\(String(String.UnicodeScalarView(s.unicodeScalars.prefix(24))))…\")"
            }
            if count == 0 { return "an empty string" }
            return "\"\(s)\""
        case .array(let a): return "an array of \(a.count) item\(a.count == 1 ? "" : "s")"
        case .object: return "an object"
        }
    }
}
