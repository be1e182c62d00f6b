/// The models `GET /v3/model` lists and the generation endpoints name (SPEC §11): parsed once,
/// validated whole, then read-only.
///
/// The built-in catalog is `BuiltInCatalog.json` (the bytes of `fixtures/models.json`);
/// `--models FILE` replaces it with a file of the same shape, `{"models": [...]}`.
struct ModelCatalog: Sendable {
    /// Every model, in catalog order (the order `GET /v3/model` serves them in).
    let models: [CatalogModel]
    /// Per type, request name → index into `models`.
    private let index: [CatalogModel.Kind: [String: Int]]

    /// The catalog compiled into the binary.
    static let builtIn: ModelCatalog = {
        do throws(CatalogError) {
            return try ModelCatalog(json: BuiltInCatalog.json)
        } catch {
            preconditionFailure("the built-in model catalog is broken: \(error)")
        }
    }()

    /// Parses and validates a catalog document.
    /// - Throws: `CatalogError` naming the entry (index, id, sd_name) and the field at fault.
    init(json: String) throws(CatalogError) {
        try self.init(bytes: Array(json.utf8))
    }

    /// Parses and validates a catalog document given as raw bytes (a `--models` file).
    /// - Throws: `CatalogError` naming the entry (index, id, sd_name) and the field at fault.
    init(bytes: [UInt8]) throws(CatalogError) {
        let document: JSONValue
        do throws(JSONParseError) {
            document = try JSONParser.parse(bytes)
        } catch {
            throw CatalogError("the catalog is not valid JSON: \(error.description)")
        }
        guard let top = document.objectValue, let entries = top["models"] else {
            throw CatalogError("the catalog must be a JSON object with a \"models\" array")
        }
        guard let items = entries.arrayValue else {
            throw CatalogError("\"models\" must be an array, got \(entries.typeDescription)")
        }
        var models: [CatalogModel] = []
        models.reserveCapacity(items.count)
        for (position, item) in items.enumerated() {
            models.append(try CatalogModel(entry: item, position: position))
        }
        try self.init(models: models)
    }

    /// A catalog of already-parsed models.
    /// - Throws: `CatalogError` when two models share an id, or two models of one type share the
    ///   name requests use for them (the lookup would be ambiguous).
    init(models: [CatalogModel]) throws(CatalogError) {
        var ids: [Int64: Int] = [:]
        var index: [CatalogModel.Kind: [String: Int]] = [:]
        for (position, model) in models.enumerated() {
            if let first = ids[model.id] {
                throw CatalogError(
                    "\(model.label(position)): duplicate id \(model.id) (models[\(first)] has it already)")
            }
            ids[model.id] = position
            for name in model.requestNames {
                if let first = index[model.kind]?[name], first != position {
                    throw CatalogError(
                        "\(model.label(position)): duplicate \(model.kind.rawValue) name \"\(name)\" "
                            + "(models[\(first)] has it already)")
                }
                index[model.kind, default: [:]][name] = position
            }
        }
        self.models = models
        self.index = index
    }

    // MARK: lookups by the name a request uses (SPEC §11)
    //
    // They find a model whatever its `status` and `visibility`: deciding whether an unavailable
    // or private model may be used is the caller's business.

    /// The checkpoint a request's `model_name` names, by `sd_name`.
    func checkpoint(named sdName: String) -> CatalogModel? { model(.checkpoint, sdName) }

    /// The VAE a request's `sd_vae` names, by `sd_name`.
    func vae(named sdName: String) -> CatalogModel? { model(.vae, sdName) }

    /// The LoRA a request's `loras[].model_name` names, by `sd_name_in_api`.
    func lora(named sdNameInAPI: String) -> CatalogModel? { model(.lora, sdNameInAPI) }

    /// The textual inversion a request's `embeddings[].model_name` names, by `sd_name_in_api`.
    func embedding(named sdNameInAPI: String) -> CatalogModel? { model(.textualInversion, sdNameInAPI) }

    /// The ControlNet a unit's `model_name` names, by `sd_name_in_api` or `sd_name`.
    func controlNet(named name: String) -> CatalogModel? { model(.controlNet, name) }

    /// The upscaler an upscale or hires-fix request names, by `sd_name_in_api` or `sd_name`.
    func upscaler(named name: String) -> CatalogModel? { model(.upscaler, name) }

    private func model(_ kind: CatalogModel.Kind, _ name: String) -> CatalogModel? {
        index[kind]?[name].map { models[$0] }
    }
}

/// Why a catalog document was refused: one sentence naming the entry and the field.
struct CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    let message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}

/// One model of the catalog: the fields the mock reads, plus the entry's JSON object, which is
/// served back unchanged (extra fields a `--models` file carries included).
struct CatalogModel: Sendable, Equatable {
    /// `type.name`.
    enum Kind: String, Sendable, CaseIterable {
        case checkpoint, lora, vae
        case controlNet = "controlnet"
        case upscaler
        case textualInversion = "textualinversion"
    }

    enum Source: String, Sendable, CaseIterable {
        case civitai, training, uploading
    }

    enum Visibility: String, Sendable, CaseIterable {
        case `public`, `private`
    }

    /// `base_model`; `is_sdxl` must agree with it.
    enum BaseModel: String, Sendable, CaseIterable {
        case sd15 = "SD 1.5"
        case sdxl = "SDXL 1.0"
    }

    /// `base_model_type`.
    enum BaseModelType: String, Sendable, CaseIterable {
        case standard = "Standard"
        case inpainting = "Inpainting"
    }

    let id: Int64
    let name: String
    let sdName: String
    let sdNameInAPI: String
    let kind: Kind
    let isSDXL: Bool
    let baseModel: BaseModel
    let baseModelType: BaseModelType
    /// 0 unavailable, 1 available: nothing else (the Python SDK crashes on other values).
    let status: Int
    let visibility: Visibility
    let source: Source
    let tags: [String]
    /// The catalog entry as written, served as is by `GET /v3/model`.
    let json: JSONObject

    /// `type.name` as a string.
    var typeName: String { kind.rawValue }
    var isInpainting: Bool { baseModelType == .inpainting }
    var isAvailable: Bool { status == 1 }

    /// The names requests use for this model (SPEC §11): checkpoints and VAEs by `sd_name`,
    /// LoRAs and embeddings by `sd_name_in_api`; ControlNets and upscalers by either.
    var requestNames: [String] {
        switch kind {
        case .checkpoint, .vae: [sdName]
        case .lora, .textualInversion: [sdNameInAPI]
        case .controlNet, .upscaler: sdName == sdNameInAPI ? [sdName] : [sdNameInAPI, sdName]
        }
    }

    /// The fields every entry must have, in the order the built-in catalog writes them.
    static let fieldNames = [
        "id", "name", "hash_sha256", "sd_name", "sd_name_in_api", "type", "categories", "status", "download_url",
        "download_url_ttl", "tags", "cover_url", "source", "base_model", "base_model_type", "is_sdxl", "visibility",
    ]

    /// Reads and validates entry `position` of a catalog's `models` array.
    /// - Throws: `CatalogError` naming the entry and the first field at fault.
    init(entry: JSONValue, position: Int) throws(CatalogError) {
        guard let object = entry.objectValue else {
            throw CatalogError("models[\(position)]: must be an object, got \(entry.typeDescription)")
        }
        var reader = EntryReader(object: object, position: position)
        id = try reader.integer("id", in: 0...Int64.max)
        sdName = try reader.string("sd_name", nonEmpty: true)
        name = try reader.string("name", nonEmpty: true)
        let hash = try reader.string("hash_sha256", nonEmpty: true)
        guard hash.utf8.count == 64, hash.utf8.allSatisfy(Self.isHexDigit) else {
            throw reader.failure("hash_sha256", "must be 64 hexadecimal digits, got \"\(hash.prefix(80))\"")
        }
        sdNameInAPI = try reader.string("sd_name_in_api", nonEmpty: true)
        let type = try reader.object("type")
        kind = try reader.enumeration("type.name", type["name"], Kind.self)
        _ = try reader.string("type.display_name", type["display_name"], nonEmpty: true)
        _ = try reader.strings("categories")
        status = Int(try reader.integer("status", in: 0...1))
        _ = try reader.string("download_url", nonEmpty: false)
        _ = try reader.integer("download_url_ttl", in: 0...Int64.max)
        tags = try reader.strings("tags")
        _ = try reader.string("cover_url", nonEmpty: false)
        source = try reader.enumeration("source", object["source"], Source.self)
        baseModel = try reader.enumeration("base_model", object["base_model"], BaseModel.self)
        baseModelType = try reader.enumeration("base_model_type", object["base_model_type"], BaseModelType.self)
        isSDXL = try reader.boolean("is_sdxl")
        guard isSDXL == (baseModel == .sdxl) else {
            throw reader.failure(
                "is_sdxl", "must be \(baseModel == .sdxl) to agree with base_model \"\(baseModel.rawValue)\"")
        }
        visibility = try reader.enumeration("visibility", object["visibility"], Visibility.self)
        json = object
    }

    /// `models[3] (id 1004, sd_name "x")`, for error messages.
    func label(_ position: Int) -> String {
        "models[\(position)] (id \(id), sd_name \"\(sdName)\")"
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
    }
}

/// Reads the fields of one catalog entry, failing with a sentence that names the entry.
private struct EntryReader {
    let object: JSONObject
    let position: Int
    /// Filled in as soon as they are read, so later failures name the entry by them.
    private var id: Int64?
    private var sdName: String?

    init(object: JSONObject, position: Int) {
        self.object = object
        self.position = position
    }

    func failure(_ field: String, _ problem: String) -> CatalogError {
        var label = "models[\(position)]"
        switch (id, sdName) {
        case (let id?, let sdName?): label += " (id \(id), sd_name \"\(sdName)\")"
        case (let id?, nil): label += " (id \(id))"
        case (nil, let sdName?): label += " (sd_name \"\(sdName)\")"
        case (nil, nil): break
        }
        return CatalogError("\(label): field \"\(field)\" \(problem)")
    }

    private func present(_ field: String, _ value: JSONValue?) throws(CatalogError) -> JSONValue {
        guard let value else { throw failure(field, "is missing") }
        return value
    }

    mutating func integer(_ field: String, in range: ClosedRange<Int64>) throws(CatalogError) -> Int64 {
        let value = try present(field, object[field])
        guard let integer = value.integerValue else {
            throw failure(field, "must be an integer, got \(RequestValidator.describe(value))")
        }
        guard range.contains(integer) else {
            let bounds =
                range.upperBound == .max
                ? "at least \(range.lowerBound)" : "in [\(range.lowerBound), \(range.upperBound)]"
            throw failure(field, "must be an integer \(bounds), got \(integer)")
        }
        if field == "id" { id = integer }
        return integer
    }

    mutating func string(_ field: String, nonEmpty: Bool) throws(CatalogError) -> String {
        let text = try string(field, object[field], nonEmpty: nonEmpty)
        if field == "sd_name" { sdName = text }
        return text
    }

    func string(_ field: String, _ value: JSONValue?, nonEmpty: Bool) throws(CatalogError) -> String {
        let value = try present(field, value)
        guard let text = value.stringValue else {
            throw failure(field, "must be a string, got \(RequestValidator.describe(value))")
        }
        if nonEmpty && text.isEmpty { throw failure(field, "must be a non-empty string") }
        return text
    }

    func object(_ field: String) throws(CatalogError) -> JSONObject {
        let value = try present(field, object[field])
        guard let nested = value.objectValue else {
            throw failure(field, "must be an object, got \(RequestValidator.describe(value))")
        }
        return nested
    }

    func strings(_ field: String) throws(CatalogError) -> [String] {
        let value = try present(field, object[field])
        guard let items = value.arrayValue else {
            throw failure(field, "must be an array of strings, got \(RequestValidator.describe(value))")
        }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard let text = item.stringValue else {
                throw failure("\(field)[\(i)]", "must be a string, got \(RequestValidator.describe(item))")
            }
            out.append(text)
        }
        return out
    }

    func boolean(_ field: String) throws(CatalogError) -> Bool {
        let value = try present(field, object[field])
        guard let flag = value.boolValue else {
            throw failure(field, "must be a boolean, got \(RequestValidator.describe(value))")
        }
        return flag
    }

    func enumeration<E: RawRepresentable & CaseIterable>(
        _ field: String, _ value: JSONValue?, _ type: E.Type
    ) throws(CatalogError) -> E where E.RawValue == String {
        let value = try present(field, value)
        let allowed = E.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        guard let text = value.stringValue, let result = E(rawValue: text) else {
            throw failure(field, "must be one of \(allowed), got \(RequestValidator.describe(value))")
        }
        return result
    }
}
