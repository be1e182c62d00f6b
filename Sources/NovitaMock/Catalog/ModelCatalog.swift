import FoundationEssentials

/// The models `GET /v3/model` lists and the generation endpoints name (docs/contract.md §11): parsed once,
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
        // The entries as written, to serve back unchanged (extra fields included) and to name
        // an entry in an error; the typed fields come from JSONDecoder below.
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
        var objects: [JSONObject] = []
        objects.reserveCapacity(items.count)
        for (position, item) in items.enumerated() {
            guard let object = item.objectValue else {
                throw CatalogError("models[\(position)]: must be an object, got \(item.typeDescription)")
            }
            objects.append(object)
        }
        let decoded: CatalogDocument
        do {
            decoded = try JSONDecoder().decode(CatalogDocument.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw Self.describe(error, entries: objects)
        } catch {
            throw CatalogError("the catalog could not be read: \(error)")
        }
        var models: [CatalogModel] = []
        models.reserveCapacity(objects.count)
        for (position, entry) in decoded.models.enumerated() {
            models.append(try CatalogModel(entry: entry, json: objects[position], position: position))
        }
        try self.init(models: models)
    }

    /// A decoding failure as one sentence: the entry (by position, and by id and sd_name when
    /// they read), the field's JSON path, and what is wrong with it.
    private static func describe(_ error: DecodingError, entries: [JSONObject]) -> CatalogError {
        let path: [any CodingKey]
        let problem: (String) -> String
        switch error {
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
            problem = { _ in "is missing" }
        case .valueNotFound(let type, let context):
            path = context.codingPath
            problem = { field in "must be \(expectation(type, field: field)), got null" }
        case .typeMismatch(let type, let context):
            path = context.codingPath
            problem = { field in "must be \(expectation(type, field: field)), got \(found(at: path, in: entries))" }
        case .dataCorrupted(let context):
            path = context.codingPath
            // An enumeration's unknown value, or an integer field's number that is not one.
            problem = { field in
                "must be \(expectation(WholeNumber.self, field: field)), got \(found(at: path, in: entries))"
            }
        @unknown default:
            return CatalogError("the catalog could not be read: \(error)")
        }
        // path: "models", the entry's index, then the field's keys and indices.
        guard path.count >= 2, let position = path[1].intValue, entries.indices.contains(position) else {
            return CatalogError("the catalog could not be read: \(error)")
        }
        var field = ""
        for key in path.dropFirst(2) {
            if let index = key.intValue {
                field += "[\(index)]"
            } else {
                field += (field.isEmpty ? "" : ".") + key.stringValue
            }
        }
        var label = "models[\(position)]"
        let entry = entries[position]
        switch (entry["id"]?.integerValue, entry["sd_name"]?.stringValue) {
        case (let id?, let sdName?): label += " (id \(id), sd_name \"\(sdName)\")"
        case (let id?, nil): label += " (id \(id))"
        case (nil, let sdName?): label += " (sd_name \"\(sdName)\")"
        case (nil, nil): break
        }
        return CatalogError("\(label): field \"\(field)\" \(problem(field))")
    }

    /// What a field of `type` must be, in words.
    private static func expectation(_ type: Any.Type, field: String) -> String {
        if let allowed = CatalogEntry.allowedValues[field] {
            return "one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", ")
        }
        switch type {
        case is String.Type: return "a string"
        case is Int64.Type, is WholeNumber.Type: return "an integer"
        case is Bool.Type: return "a boolean"
        case is [String].Type: return "an array of strings"
        default: return type is any Collection.Type ? "an array" : "an object"
        }
    }

    /// The value the document has at `path`, described for an error message.
    private static func found(at path: [any CodingKey], in entries: [JSONObject]) -> String {
        guard path.count >= 2, let position = path[1].intValue, entries.indices.contains(position) else {
            return "something else"
        }
        var value = JSONValue.object(entries[position])
        for key in path.dropFirst(2) {
            guard let next = key.intValue.flatMap({ value.arrayValue?[$0] }) ?? value.objectValue?[key.stringValue]
            else { return "something else" }
            value = next
        }
        return RequestValidator.describe(value)
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

    // MARK: lookups by the name a request uses (docs/contract.md §11)
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
    enum Kind: String, Sendable, CaseIterable, Decodable {
        case checkpoint, lora, vae
        case controlNet = "controlnet"
        case upscaler
        case textualInversion = "textualinversion"
    }

    enum Source: String, Sendable, CaseIterable, Decodable {
        case civitai, training, uploading
    }

    enum Visibility: String, Sendable, CaseIterable, Decodable {
        case `public`, `private`
    }

    /// `base_model`; `is_sdxl` must agree with it.
    enum BaseModel: String, Sendable, CaseIterable, Decodable {
        case sd15 = "SD 1.5"
        case sdxl = "SDXL 1.0"
    }

    /// `base_model_type`.
    enum BaseModelType: String, Sendable, CaseIterable, Decodable {
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

    /// The names requests use for this model (docs/contract.md §11): checkpoints and VAEs by `sd_name`,
    /// LoRAs and embeddings by `sd_name_in_api`; ControlNets and upscalers by either.
    var requestNames: [String] {
        switch kind {
        case .checkpoint, .vae: [sdName]
        case .lora, .textualInversion: [sdNameInAPI]
        case .controlNet, .upscaler: sdName == sdNameInAPI ? [sdName] : [sdNameInAPI, sdName]
        }
    }

    /// The fields every entry must have, in the order the built-in catalog writes them.
    static let fieldNames = CatalogEntry.CodingKeys.allCases.map(\.stringValue)

    /// Checks entry `position` of a catalog beyond what decoding checked.
    /// - Throws: `CatalogError` naming the entry and the first field at fault.
    init(entry: CatalogEntry, json: JSONObject, position: Int) throws(CatalogError) {
        let (id, status, downloadURLTTL) = (entry.id.value, entry.status.value, entry.downloadURLTTL.value)
        let label = "models[\(position)] (id \(id), sd_name \"\(entry.sdName)\")"
        func failure(_ field: String, _ problem: String) -> CatalogError {
            CatalogError("\(label): field \"\(field)\" \(problem)")
        }
        guard id >= 0 else { throw failure("id", "must be an integer at least 0, got \(id)") }
        for (field, text) in [
            ("sd_name", entry.sdName), ("name", entry.name), ("hash_sha256", entry.hashSHA256),
            ("sd_name_in_api", entry.sdNameInAPI), ("type.display_name", entry.type.displayName),
        ] where text.isEmpty {
            throw failure(field, "must be a non-empty string")
        }
        guard entry.hashSHA256.utf8.count == 64, entry.hashSHA256.utf8.allSatisfy(Self.isHexDigit) else {
            throw failure("hash_sha256", "must be 64 hexadecimal digits, got \"\(entry.hashSHA256.prefix(80))\"")
        }
        guard (0...1).contains(status) else { throw failure("status", "must be an integer in [0, 1], got \(status)") }
        guard downloadURLTTL >= 0 else {
            throw failure("download_url_ttl", "must be an integer at least 0, got \(downloadURLTTL)")
        }
        guard entry.isSDXL == (entry.baseModel == .sdxl) else {
            throw failure(
                "is_sdxl",
                "must be \(entry.baseModel == .sdxl) to agree with base_model \"\(entry.baseModel.rawValue)\"")
        }
        self.id = id
        name = entry.name
        sdName = entry.sdName
        sdNameInAPI = entry.sdNameInAPI
        kind = entry.type.name
        isSDXL = entry.isSDXL
        baseModel = entry.baseModel
        baseModelType = entry.baseModelType
        self.status = Int(status)
        visibility = entry.visibility
        source = entry.source
        tags = entry.tags
        self.json = json
    }

    /// `models[3] (id 1004, sd_name "x")`, for error messages.
    func label(_ position: Int) -> String {
        "models[\(position)] (id \(id), sd_name \"\(sdName)\")"
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
    }
}
