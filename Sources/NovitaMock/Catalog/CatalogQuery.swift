import ASCIIText

/// The query parameters of `GET /v3/model` (docs/contract.md §11), parsed and checked.
///
/// Decisions where the Novita documentation is silent or loose:
/// - An empty value means the parameter is absent (clients send `filter.query=` and such).
/// - Parameters the mock does not know (`filter.is_nsfw`, `filter.tags`, `filter.base_model`, …,
///   which real clients send) are ignored rather than refused.
/// - `filter.types` and the Python SDK's `filter.type` are the same filter; each value may be a
///   comma list, and repeated parameters add up.
/// - Booleans are `true`/`false` in any case (the Python SDK sends `True`/`False`) or `1`/`0`
///   (JS clients send `filter.is_sdxl=1`, `filter.is_inpainting=0`).
/// - `filter.is_inpainting`: absent or false → only `base_model_type` `Standard` models; true →
///   only `Inpainting` models. The documentation says "If set to true, it will filter out the
///   checkpoints used for inpainting. The default is false". "Filter out" is read as "select"
///   (otherwise true and false would both hide inpainting models), and a documented default of
///   false makes absent and false the same request.
/// - `pagination.limit` defaults to `defaultLimit` (10) when absent; the documentation gives the
///   range (0, 100] but no default.
/// - `pagination.cursor` is `c_<offset>` (what the SDK sends and what `next_cursor` holds); an
///   offset past the end is an empty last page, not an error.
struct CatalogQuery: Sendable, Equatable {
    static let defaultLimit = 10
    static let maxLimit = 100

    var visibility: CatalogModel.Visibility?
    var source: CatalogModel.Source?
    /// nil: every type.
    var kinds: Set<CatalogModel.Kind>?
    var isSDXL: Bool?
    /// Lowercased; nil: no text filter.
    var text: String?
    var inpainting = false
    var limit = CatalogQuery.defaultLimit
    var offset = 0

    init() {}

    /// Reads the query string of a request.
    /// - Throws: every broken parameter, with `query <name>` paths: in the order sent, the type
    ///   filters last.
    init(parameters: [(name: String, value: String)]) throws(CatalogQueryError) {
        var violations: [Violation] = []
        var typeValues: [(name: String, value: String)] = []
        var seen: Set<String> = []
        for (name, value) in parameters where !value.isEmpty {
            if name == "filter.types" || name == "filter.type" {
                typeValues.append((name, value))
                continue
            }
            // The first value of a repeated parameter wins, as `HTTPRequest.queryValue` reads it.
            guard seen.insert(name).inserted else { continue }
            func fail(_ expected: String) {
                violations.append(
                    Violation(
                        path: "query \(name)", expected: expected, actual: RequestValidator.describe(.string(value))))
            }
            switch name {
            case "filter.visibility":
                guard let parsed = CatalogModel.Visibility(rawValue: value) else {
                    fail(Self.oneOf(CatalogModel.Visibility.self))
                    continue
                }
                visibility = parsed
            case "filter.source":
                guard let parsed = CatalogModel.Source(rawValue: value) else {
                    fail(Self.oneOf(CatalogModel.Source.self))
                    continue
                }
                source = parsed
            case "filter.is_sdxl":
                guard let parsed = Self.boolean(value) else {
                    fail(Self.booleanExpectation)
                    continue
                }
                isSDXL = parsed
            case "filter.is_inpainting":
                guard let parsed = Self.boolean(value) else {
                    fail(Self.booleanExpectation)
                    continue
                }
                inpainting = parsed
            case "filter.query":
                text = value.lowercased()
            case "pagination.limit":
                guard value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let parsed = Int(value),
                    parsed > 0 && parsed <= Self.maxLimit
                else {
                    fail("an integer in (0, \(Self.maxLimit)]")
                    continue
                }
                limit = parsed
            case "pagination.cursor":
                guard let parsed = Self.offset(fromCursor: value) else {
                    fail("empty, or a cursor c_<offset> as a previous page's next_cursor holds")
                    continue
                }
                offset = parsed
            default:
                continue
            }
        }
        for (name, value) in typeValues {
            for item in value.split(separator: ",") {
                let trimmed = item.trimmingSpaces
                if trimmed.isEmpty { continue }
                guard let kind = CatalogModel.Kind(rawValue: trimmed) else {
                    violations.append(
                        Violation(
                            path: "query \(name)", expected: Self.oneOf(CatalogModel.Kind.self),
                            actual: RequestValidator.describe(.string(trimmed))))
                    continue
                }
                kinds = (kinds ?? []).union([kind])
            }
        }
        if !violations.isEmpty { throw CatalogQueryError(violations: violations) }
    }

    /// Whether `model` passes every filter (pagination aside).
    func matches(_ model: CatalogModel) -> Bool {
        if let visibility, model.visibility != visibility { return false }
        if let source, model.source != source { return false }
        if let kinds, !kinds.contains(model.kind) { return false }
        if let isSDXL, model.isSDXL != isSDXL { return false }
        if model.isInpainting != inpainting { return false }
        if let text {
            let fields = [model.sdName, model.name] + model.tags
            if !fields.contains(where: { $0.lowercased().contains(text) }) { return false }
        }
        return true
    }

    /// One page of the models of `catalog` that match, in catalog order, and the cursor of the
    /// next page (empty on the last page).
    func page(of catalog: ModelCatalog) -> (models: [CatalogModel], nextCursor: String) {
        let matching = catalog.models.filter(matches)
        guard offset < matching.count else { return ([], "") }
        let end = min(matching.count, offset + limit)
        return (Array(matching[offset..<end]), end < matching.count ? Self.cursor(offset: end) : "")
    }

    static func cursor(offset: Int) -> String { "c_\(offset)" }

    /// The offset of a `c_<offset>` cursor; nil when it is not one.
    static func offset(fromCursor cursor: String) -> Int? {
        guard cursor.hasPrefix("c_") else { return nil }
        let digits = cursor.dropFirst(2)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(digits)
    }

    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "1": true
        case "false", "0": false
        default: nil
        }
    }

    static let booleanExpectation = "a boolean (true, false, True, False, 1 or 0)"

    private static func oneOf<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> String
    where E.RawValue == String {
        "one of " + E.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }
}

/// The broken parameters of a `GET /v3/model` query.
struct CatalogQueryError: Error, Sendable, Equatable {
    let violations: [Violation]
}
