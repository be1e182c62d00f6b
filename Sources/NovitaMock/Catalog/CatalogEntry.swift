/// One entry of a catalog's `models` array as the file writes it: the fields the mock reads
/// and checks, decoded by `JSONDecoder` (the entry's whole JSON object is kept apart, to be
/// served as written). Values the types cannot say (ranges, non-empty names, the hash's
/// digits, `is_sdxl` agreeing with `base_model`) are checked by `CatalogModel`.
struct CatalogEntry: Decodable {
    struct ModelType: Decodable {
        let name: CatalogModel.Kind
        let displayName: String

        enum CodingKeys: String, CodingKey {
            case name
            case displayName = "display_name"
        }
    }

    let id: WholeNumber
    let name: String
    let hashSHA256: String
    let sdName: String
    let sdNameInAPI: String
    let type: ModelType
    let categories: [String]
    let status: WholeNumber
    let downloadURL: String
    let downloadURLTTL: WholeNumber
    let tags: [String]
    let coverURL: String
    let source: CatalogModel.Source
    let baseModel: CatalogModel.BaseModel
    let baseModelType: CatalogModel.BaseModelType
    let isSDXL: Bool
    let visibility: CatalogModel.Visibility

    /// The JSON names, in the order the built-in catalog writes them (and `fieldNames` lists).
    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name
        case hashSHA256 = "hash_sha256"
        case sdName = "sd_name"
        case sdNameInAPI = "sd_name_in_api"
        case type, categories, status
        case downloadURL = "download_url"
        case downloadURLTTL = "download_url_ttl"
        case tags
        case coverURL = "cover_url"
        case source
        case baseModel = "base_model"
        case baseModelType = "base_model_type"
        case isSDXL = "is_sdxl"
        case visibility
    }

    /// The values each enumerated field allows, for error messages.
    static let allowedValues: [String: [String]] = [
        "type.name": CatalogModel.Kind.allCases.map(\.rawValue),
        "source": CatalogModel.Source.allCases.map(\.rawValue),
        "base_model": CatalogModel.BaseModel.allCases.map(\.rawValue),
        "base_model_type": CatalogModel.BaseModelType.allCases.map(\.rawValue),
        "visibility": CatalogModel.Visibility.allCases.map(\.rawValue),
    ]
}

/// An integer field. Any failure to read one fails at the field's own path: for a number with a
/// fraction (`7.5`) the decoder throws an internal error that surfaces as "not valid JSON" with
/// no path, which could name neither the entry nor the field.
struct WholeNumber: Decodable {
    let value: Int64

    init(from decoder: any Decoder) throws {
        do {
            value = try decoder.singleValueContainer().decode(Int64.self)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "not an integer"))
        }
    }
}

/// The document: `{"models": [...]}`.
struct CatalogDocument: Decodable {
    let models: [CatalogEntry]
}
