import Foundation
import Testing

@testable import NovitaMock

/// `GET /v3/model` and the catalog behind it (docs/contract.md §11).
@Suite("Model catalog")
struct CatalogTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let catalog = ModelCatalog.builtIn

    /// The textual inversions the img2img doc page lists for
    /// `filter.visibility=public&filter.types=textualinversion&filter.source=civitai`, in its order.
    static let seedEmbeddings = [
        "epiCPhotoGasm-colorfulPhoto-neg_108119.pt", "epiCNegative_66017.pt", "verybadimagenegative_v1.3_21434.pt",
        "FastNegativeV2_65067.pt", "AS-YoungV2.pt", "AS-YoungV2-neg.pt", "AS-YoungestV2.pt", "AS-YoungerV2.pt",
        "AS-MidAged.pt", "AS-Elderly.pt", "AS-Adult.pt", "AS-Adult-neg.pt", "Adult.pt", "MidAged.pt",
        "unaestheticXLv13_98060.safetensors", "unaestheticXL_Sky3.1_134255.safetensors",
        "EasyNegativeV2_75525.safetensors", "BadDream_53202.pt", "UnrealisticDream_53204.pt",
        "negative_hand-neg_43127.pt", "bad_prompt_version2-neg_42594.pt", "Asian-Less-Toon_39763.pt",
        "badhandv4_16755.pt", "easynegative_8955.safetensors", "aestheticc-65800_8615.pt",
        "corneo_side_deepthroat_6490.pt", "corneo_tentacle_sex.pt", "By bad artist -neg_6310.pt", "dpthrt_5441.pt",
        "ng_deepnegative_v1_75t_5845.pt", "pureerosface_v1_5162.pt",
    ]

    static let controlNets = [
        "control_v11e_sd15_ip2p", "control_v11e_sd15_shuffle", "control_v11f1e_sd15_tile", "control_v11f1p_sd15_depth",
        "control_v11p_sd15_canny", "control_v11p_sd15_inpaint", "control_v11p_sd15_lineart", "control_v11p_sd15_mlsd",
        "control_v11p_sd15_normalbae", "control_v11p_sd15_openpose", "control_v11p_sd15_scribble",
        "control_v11p_sd15_seg", "control_v11p_sd15_softedge", "control_v11p_sd15s2_lineart_anime",
        "control_v1p_sd15_brightness", "control_v1p_sd15_qrcode_monster", "control_v1p_sd15_qrcode_monster_v2",
        "controlnet-canny-sdxl-1.0", "controlnet-depth-sdxl-1.0", "controlnet-openpose-sdxl-1.0",
        "controlnet-softedge-sdxl-1.0",
    ]

    // MARK: helpers

    static func list(_ harness: ServiceHarness, _ query: [(String, String)]) -> ServiceHarness.Reply {
        harness.request("GET", "/v3/model", query: query)
    }

    static func sdNames(_ reply: ServiceHarness.Reply) -> [String] {
        (reply.object?["models"]?.arrayValue ?? []).compactMap { $0.objectValue?["sd_name"]?.stringValue }
    }

    static func ids(_ reply: ServiceHarness.Reply) -> [Int64] {
        (reply.object?["models"]?.arrayValue ?? []).compactMap { $0.objectValue?["id"]?.integerValue }
    }

    static func nextCursor(_ reply: ServiceHarness.Reply) -> String? {
        reply.object?["pagination"]?.objectValue?["next_cursor"]?.stringValue
    }

    /// Every model a query selects, following `next_cursor` page by page.
    static func all(
        _ harness: ServiceHarness, _ filters: [(String, String)], limit: Int = 100
    ) throws -> [Int64] {
        var out: [Int64] = []
        var cursor = ""
        for _ in 0..<100 {
            let reply = list(harness, filters + [("pagination.limit", String(limit)), ("pagination.cursor", cursor)])
            try #require(reply.status == 200, "\(reply.message ?? "")")
            out += ids(reply)
            cursor = try #require(nextCursor(reply))
            if cursor.isEmpty { return out }
        }
        Issue.record("paging did not end")
        return out
    }

    static func expected(_ include: (CatalogModel) -> Bool) -> [Int64] {
        catalog.models.filter(include).map(\.id)
    }

    // MARK: the catalog itself

    @Test func fixtureFileIsTheBuiltInCatalog() throws {
        let file = Array(try Data(contentsOf: Self.repositoryRoot.appendingPathComponent("fixtures/models.json")))
        let literal = Array(BuiltInCatalog.json.utf8)
        let same = file == literal
        let firstDifference = zip(file, literal).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(
            same,
            """
            fixtures/models.json (\(file.count) bytes) and BuiltInCatalog.json (\(literal.count) bytes) differ \
            from byte \(firstDifference ?? min(file.count, literal.count)): edit both together
            """)
    }

    @Test func builtInCatalogHoldsTheDocumentedNames() throws {
        let catalog = Self.catalog
        #expect((40...100).contains(catalog.models.count))
        for name in [
            "sd_xl_base_1.0.safetensors", "realcartoon25D_v3_240762.safetensors",
            "chilloutmix_NiPrunedFp32Fix.safetensors", "dreamshaper_8_93211.safetensors",
            "realisticVisionV51_v51VAE_94301.safetensors", "juggernautXL_v9Rdphoto2Lightning_285361.safetensors",
        ] {
            let model = try #require(catalog.checkpoint(named: name), "checkpoint \(name)")
            #expect(model.typeName == "checkpoint" && model.isAvailable && !model.isInpainting)
        }
        #expect(catalog.checkpoint(named: "sd_xl_base_1.0.safetensors")?.isSDXL == true)
        #expect(catalog.checkpoint(named: "chilloutmix_NiPrunedFp32Fix.safetensors")?.baseModel == .sd15)
        #expect(catalog.models.filter { $0.kind == .checkpoint && $0.isInpainting }.count >= 2)
        for name in ["add_detail_44319", "more_details_59655", "MS_Real_AssSpread", "MS_Real_Cameltoe_Lite"] {
            let lora = try #require(catalog.lora(named: name), "lora \(name)")
            #expect(lora.sdName != lora.sdNameInAPI)
            #expect(catalog.lora(named: lora.sdName) == nil, "LoRAs are named by sd_name_in_api only")
        }
        for name in Self.seedEmbeddings {
            #expect(catalog.embedding(named: name)?.typeName == "textualinversion", "embedding \(name)")
        }
        for name in ["vae-ft-mse-840000-ema-pruned.safetensors", "sdxl_vae.safetensors"] {
            #expect(catalog.vae(named: name) != nil, "vae \(name)")
        }
        #expect(catalog.vae(named: "sdxl_vae.safetensors")?.isSDXL == true)
        for name in Self.controlNets {
            let unit = try #require(catalog.controlNet(named: name), "controlnet \(name)")
            #expect(unit.isSDXL == name.contains("sdxl"))
        }
        #expect(catalog.models.filter { $0.kind == .controlNet }.count == Self.controlNets.count)
        for name in ["RealESRGAN_x4plus_anime_6B", "RealESRNet_x4plus", "4x-UltraSharp"] {
            #expect(catalog.upscaler(named: name) != nil, "upscaler \(name)")
        }
        // Lookups stay within their type.
        #expect(catalog.checkpoint(named: "sdxl_vae.safetensors") == nil)
        #expect(catalog.vae(named: "sd_xl_base_1.0.safetensors") == nil)
        #expect(catalog.embedding(named: "add_detail_44319") == nil)
        // A couple of unavailable and private models, so clients meet them.
        #expect(catalog.models.contains { $0.status == 0 })
        #expect(catalog.models.contains { $0.visibility == .private })
        for source in CatalogModel.Source.allCases {
            #expect(catalog.models.contains { $0.source == source }, "a model from \(source)")
        }
    }

    @Test func everyServedModelHasEveryFieldWithItsType() throws {
        let harness = ServiceHarness()
        var served: [JSONObject] = []
        for inpainting in ["false", "true"] {
            var cursor = ""
            repeat {
                let reply = Self.list(
                    harness,
                    [("filter.is_inpainting", inpainting), ("pagination.limit", "100"), ("pagination.cursor", cursor)])
                try #require(reply.status == 200)
                served += try #require(reply.object?["models"]?.arrayValue).compactMap(\.objectValue)
                cursor = try #require(Self.nextCursor(reply))
            } while !cursor.isEmpty
        }
        #expect(served.count == Self.catalog.models.count)
        var ids: Set<Int64> = []
        for model in served {
            let label = model["sd_name"]?.stringValue ?? "?"
            #expect(Set(model.keys) == Set(CatalogModel.fieldNames), "\(label): fields")
            let id = try #require(model["id"]?.integerValue, "\(label): id")
            #expect(ids.insert(id).inserted, "\(label): id \(id) repeats")
            for field in ["name", "hash_sha256", "sd_name", "sd_name_in_api", "download_url", "cover_url"] {
                #expect(model[field]?.stringValue != nil, "\(label): \(field) is a string")
            }
            let hash = model["hash_sha256"]?.stringValue ?? ""
            #expect(hash.count == 64 && hash.allSatisfy(\.isHexDigit), "\(label): hash_sha256")
            let type = try #require(model["type"]?.objectValue, "\(label): type")
            #expect(CatalogModel.Kind(rawValue: type["name"]?.stringValue ?? "") != nil, "\(label): type.name")
            #expect(type["display_name"]?.stringValue?.isEmpty == false, "\(label): type.display_name")
            for field in ["categories", "tags"] {
                let items = try #require(model[field]?.arrayValue, "\(label): \(field)")
                #expect(items.allSatisfy { $0.stringValue != nil }, "\(label): \(field) holds strings")
            }
            let status = try #require(model["status"]?.integerValue, "\(label): status")
            #expect(status == 0 || status == 1, "\(label): status \(status)")
            #expect(model["download_url_ttl"]?.integerValue != nil, "\(label): download_url_ttl")
            #expect(["civitai", "training", "uploading"].contains(model["source"]?.stringValue ?? ""))
            let baseModel = try #require(model["base_model"]?.stringValue)
            #expect(["SD 1.5", "SDXL 1.0"].contains(baseModel), "\(label): base_model")
            #expect(["Standard", "Inpainting"].contains(model["base_model_type"]?.stringValue ?? ""))
            #expect(model["is_sdxl"]?.boolValue == (baseModel == "SDXL 1.0"), "\(label): is_sdxl")
            #expect(["public", "private"].contains(model["visibility"]?.stringValue ?? ""))
        }
    }

    @Test func modelsAreServedAsTheirCatalogEntries() throws {
        let reply = Self.list(ServiceHarness(), [("filter.query", "add_detail_44319")])
        let served = try #require(reply.object?["models"]?.arrayValue)
        let entry = try #require(Self.catalog.lora(named: "add_detail_44319"))
        #expect(served == [.object(entry.json)])
        #expect(reply.header("Content-Type") == "application/json")
    }

    // MARK: pagination

    @Test func followingNextCursorGivesEveryModelOnceInOrder() throws {
        let harness = ServiceHarness()
        var pages = 0
        var seen: [Int64] = []
        for inpainting in ["false", "true"] {
            var cursor = ""
            repeat {
                let reply = Self.list(
                    harness,
                    [("filter.is_inpainting", inpainting), ("pagination.limit", "7"), ("pagination.cursor", cursor)])
                try #require(reply.status == 200)
                let page = Self.ids(reply)
                cursor = try #require(Self.nextCursor(reply))
                #expect(page.count == 7 || cursor.isEmpty, "only the last page is short")
                seen += page
                pages += 1
            } while !cursor.isEmpty
        }
        let standard = Self.expected { !$0.isInpainting }
        let inpainting = Self.expected { $0.isInpainting }
        #expect(seen == standard + inpainting)
        #expect(Set(seen) == Set(Self.catalog.models.map(\.id)))
        #expect(pages == (standard.count + 6) / 7 + (inpainting.count + 6) / 7)
    }

    @Test func handMadeOffsetCursorsPageTheSameWay() throws {
        let harness = ServiceHarness()
        let standard = Self.expected { !$0.isInpainting }
        var seen: [Int64] = []
        for offset in stride(from: 0, to: standard.count, by: 7) {
            let reply = Self.list(harness, [("pagination.cursor", "c_\(offset)"), ("pagination.limit", "7")])
            try #require(reply.status == 200)
            seen += Self.ids(reply)
            let next = offset + 7 < standard.count ? "c_\(offset + 7)" : ""
            #expect(Self.nextCursor(reply) == next)
        }
        #expect(seen == standard)
    }

    @Test func pastTheEndIsAnEmptyLastPage() throws {
        let reply = Self.list(ServiceHarness(), [("pagination.cursor", "c_100000")])
        #expect(reply.status == 200)
        #expect(reply.object?["models"] == .array([]))
        #expect(Self.nextCursor(reply) == "")
        let none = Self.list(ServiceHarness(), [("filter.query", "no model is called this")])
        #expect(none.object?["models"] == .array([]))
        #expect(Self.nextCursor(none) == "")
    }

    @Test func limitDefaultsToTenAndEmptyValuesAreAbsent() throws {
        let harness = ServiceHarness()
        let standard = Self.expected { !$0.isInpainting }
        let plain = Self.list(harness, [])
        #expect(Self.ids(plain) == Array(standard.prefix(CatalogQuery.defaultLimit)))
        #expect(Self.nextCursor(plain) == "c_\(CatalogQuery.defaultLimit)")
        let empties = Self.list(
            harness,
            [
                ("pagination.limit", ""), ("pagination.cursor", ""), ("filter.query", ""), ("filter.types", ""),
                ("filter.is_sdxl", ""), ("filter.visibility", ""), ("filter.tags", "ALL"), ("filter.is_nsfw", "false"),
            ])
        #expect(empties.status == 200)
        #expect(Self.ids(empties) == Self.ids(plain))
        let hundred = Self.list(harness, [("pagination.limit", "100")])
        #expect(Self.ids(hundred) == Array(standard.prefix(100)))
    }

    // MARK: filters

    @Test(arguments: CatalogModel.Kind.allCases)
    func filterByType(_ kind: CatalogModel.Kind) throws {
        let harness = ServiceHarness()
        let expected = Self.expected { $0.kind == kind && !$0.isInpainting }
        #expect(!expected.isEmpty)
        #expect(try Self.all(harness, [("filter.types", kind.rawValue)]) == expected)
        #expect(try Self.all(harness, [("filter.type", kind.rawValue)]) == expected, "the Python SDK's spelling")
    }

    @Test func typesTakeACommaListAndRepeat() throws {
        let harness = ServiceHarness()
        let expected = Self.expected { ($0.kind == .lora || $0.kind == .vae) && !$0.isInpainting }
        #expect(try Self.all(harness, [("filter.types", "lora,vae")]) == expected)
        #expect(try Self.all(harness, [("filter.types", "vae , lora")]) == expected)
        #expect(try Self.all(harness, [("filter.types", "lora"), ("filter.type", "vae")]) == expected)
    }

    @Test(arguments: CatalogModel.Visibility.allCases)
    func filterByVisibility(_ visibility: CatalogModel.Visibility) throws {
        let expected = Self.expected { $0.visibility == visibility && !$0.isInpainting }
        #expect(!expected.isEmpty)
        #expect(try Self.all(ServiceHarness(), [("filter.visibility", visibility.rawValue)]) == expected)
    }

    @Test(arguments: CatalogModel.Source.allCases)
    func filterBySource(_ source: CatalogModel.Source) throws {
        let expected = Self.expected { $0.source == source && !$0.isInpainting }
        #expect(!expected.isEmpty)
        #expect(try Self.all(ServiceHarness(), [("filter.source", source.rawValue)]) == expected)
    }

    @Test(arguments: [("true", true), ("True", true), ("1", true), ("false", false), ("False", false), ("0", false)])
    func filterBySDXL(_ text: String, _ value: Bool) throws {
        let expected = Self.expected { $0.isSDXL == value && !$0.isInpainting }
        #expect(!expected.isEmpty)
        #expect(try Self.all(ServiceHarness(), [("filter.is_sdxl", text)]) == expected)
    }

    @Test func inpaintingSelectsInpaintingModelsOnly() throws {
        let harness = ServiceHarness()
        let inpainting = Self.expected { $0.isInpainting }
        let standard = Self.expected { !$0.isInpainting }
        #expect(!inpainting.isEmpty)
        for text in ["true", "True", "1"] {
            #expect(try Self.all(harness, [("filter.is_inpainting", text)]) == inpainting)
        }
        for text in ["false", "False", "0"] {
            #expect(try Self.all(harness, [("filter.is_inpainting", text)]) == standard)
        }
        #expect(try Self.all(harness, []) == standard, "absent means false")
        let sdxlInpainting = try Self.all(
            harness, [("filter.is_inpainting", "true"), ("filter.is_sdxl", "true"), ("filter.types", "checkpoint")])
        #expect(sdxlInpainting == Self.expected { $0.isInpainting && $0.isSDXL && $0.kind == .checkpoint })
        #expect(!sdxlInpainting.isEmpty)
    }

    @Test func queryMatchesNameSdNameAndTagsIgnoringCase() throws {
        let harness = ServiceHarness()
        // A tag: "anime" is a tag of models whose names do not say so.
        let anime = try Self.all(harness, [("filter.query", "ANIME")])
        #expect(
            anime
                == Self.expected { model in
                    !model.isInpainting
                        && ([model.sdName, model.name] + model.tags).contains { $0.lowercased().contains("anime") }
                })
        let byTagOnly = try #require(Self.catalog.checkpoint(named: "realcartoon25D_v3_240762.safetensors"))
        #expect(!byTagOnly.sdName.lowercased().contains("anime") && !byTagOnly.name.lowercased().contains("anime"))
        #expect(anime.contains(byTagOnly.id))
        // A display name only: "Detail Tweaker" is in no sd_name and no tag.
        let tweaker = Self.list(harness, [("filter.query", "detail tweaker")])
        #expect(Self.sdNames(tweaker) == ["add_detail_44319.safetensors"])
        // Part of an sd_name.
        let juggernaut = Self.list(harness, [("filter.query", "juggernautxl_v9")])
        #expect(Self.sdNames(juggernaut) == ["juggernautXL_v9Rdphoto2Lightning_285361.safetensors"])
    }

    @Test func thePythonSDKQueryGetsTheStandardSDXLCheckpoints() throws {
        // novita_client.query_model_v3(types="checkpoint", is_sdxl=True, cursor=0, limit=50), as sent.
        let reply = Self.list(
            ServiceHarness(),
            [
                ("filter.type", "checkpoint"), ("filter.is_sdxl", "True"), ("filter.is_inpainting", "False"),
                ("pagination.cursor", "c_0"), ("pagination.limit", "50"),
            ])
        #expect(reply.status == 200)
        #expect(
            Self.sdNames(reply) == [
                "sd_xl_base_1.0.safetensors", "sd_xl_refiner_1.0.safetensors",
                "juggernautXL_v9Rdphoto2Lightning_285361.safetensors", "dreamshaperXL_turboDpmppSDE_251662.safetensors",
            ])
        #expect(Self.ids(reply) == Self.expected { $0.kind == .checkpoint && $0.isSDXL && !$0.isInpainting })
        #expect(Self.nextCursor(reply) == "")
    }

    @Test func theDocPageEmbeddingQueryListsTheSeedNames() throws {
        // The img2img doc page's request for textual inversion names.
        let reply = Self.list(
            ServiceHarness(),
            [
                ("filter.visibility", "public"), ("pagination.limit", "100"), ("pagination.cursor", "c_0"),
                ("filter.types", "textualinversion"), ("filter.source", "civitai"),
            ])
        #expect(reply.status == 200)
        #expect(Self.sdNames(reply) == Self.seedEmbeddings)
        #expect(Self.nextCursor(reply) == "")
    }

    // MARK: errors

    @Test(arguments: [
        ("pagination.limit", "0"), ("pagination.limit", "101"), ("pagination.limit", "abc"),
        ("pagination.limit", "-1"), ("pagination.limit", "5.5"), ("pagination.limit", "99999999999999999999999"),
        ("filter.types", "model"), ("filter.type", "Checkpoint"), ("filter.types", "checkpoint,embedding"),
        ("filter.is_sdxl", "yes"), ("filter.is_inpainting", "2"), ("filter.visibility", "secret"),
        ("filter.source", "huggingface"), ("pagination.cursor", "abc"), ("pagination.cursor", "7"),
        ("pagination.cursor", "c_"), ("pagination.cursor", "c_-1"), ("pagination.cursor", "c_x1"),
        ("pagination.cursor", "c_99999999999999999999999"),
    ])
    func badParameterIs400(_ name: String, _ value: String) throws {
        let reply = Self.list(ServiceHarness(), [(name, value)])
        #expect(reply.status == 400)
        #expect(reply.reason == "INVALID_REQUEST_BODY")
        #expect(reply.metadata["path"] == "query \(name)")
        #expect(reply.metadata["expected"]?.isEmpty == false)
        #expect(reply.metadata["actual"]?.isEmpty == false)
        #expect(reply.message?.hasPrefix("query \(name): must be") == true)
    }

    @Test func everyBadParameterIsReported() {
        let reply = Self.list(
            ServiceHarness(), [("pagination.limit", "0"), ("filter.is_sdxl", "maybe"), ("filter.types", "nope")])
        #expect(reply.status == 400)
        #expect(reply.metadata["path"] == "query pagination.limit")
        #expect(reply.metadata["actual"] == "\"0\"")
        #expect(reply.metadata["violation_count"] == "3")
        #expect(reply.metadata["violations"]?.contains("query filter.types") == true)
    }

    @Test func missingKeyIs400() {
        let reply = ServiceHarness().request("GET", "/v3/model", authorized: false)
        #expect(reply.status == 400)
        #expect(reply.reason == "MISSING_API_KEY")
    }

    @Test func onlyGETIsAllowed() {
        let reply = ServiceHarness().request("POST", "/v3/model", body: Array("{}".utf8))
        #expect(reply.status == 405)
        #expect(reply.header("Allow") == "GET")
    }

    // MARK: parsing a catalog

    static func entry(_ overrides: [String: JSONValue?] = [:]) -> JSONValue {
        var object: JSONObject = [
            "id": 7, "name": "Test", "hash_sha256": .string(String(repeating: "ab", count: 32)),
            "sd_name": "test.safetensors", "sd_name_in_api": "test",
            "type": ["name": "lora", "display_name": "LoRA"], "categories": ["style"], "status": 1,
            "download_url": "https://models.example.com/test", "download_url_ttl": 3600, "tags": ["a", "b"],
            "cover_url": "https://covers.example.com/7.jpeg", "source": "civitai", "base_model": "SD 1.5",
            "base_model_type": "Standard", "is_sdxl": false, "visibility": "public",
        ]
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) { object[key] = value }
        return .object(object)
    }

    static func document(_ entries: [JSONValue]) -> String {
        JSONWriter.string(["models": .array(entries)])
    }

    static func refusal(_ json: String) -> String? {
        do throws(CatalogError) {
            _ = try ModelCatalog(json: json)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func aValidEntryParsesAndKeepsExtraFields() throws {
        let catalog = try ModelCatalog(json: Self.document([Self.entry(["is_nsfw": false])]))
        let model = try #require(catalog.lora(named: "test"))
        #expect(model.id == 7 && model.kind == .lora && model.tags == ["a", "b"] && !model.isSDXL)
        #expect(model.json["is_nsfw"] == .bool(false))
    }

    @Test(arguments: CatalogModel.fieldNames)
    func aMissingFieldIsNamed(_ field: String) throws {
        var overrides: [String: JSONValue?] = ["id": 8]
        overrides.updateValue(nil, forKey: field)
        let message = try #require(Self.refusal(Self.document([Self.entry(), Self.entry(overrides)])))
        #expect(message.contains("models[1]"), "\(message)")
        #expect(message.contains("\"\(field)\" is missing"), "\(message)")
    }

    @Test(arguments: [
        ("status", JSONValue.number(JSONNumber(2)), "status"), ("status", .string("1"), "status"),
        ("id", .string("7"), "id"), ("id", .number(JSONNumber(7.5)), "id"), ("tags", .string("a"), "tags"),
        ("tags", .array([.number(JSONNumber(1))]), "tags[0]"), ("hash_sha256", .string("abc"), "hash_sha256"),
        ("type", JSONValue.object(["name": "model", "display_name": "M"]), "type.name"),
        ("type", JSONValue.object(["name": "lora"]), "type.display_name"),
        ("source", .string("github"), "source"), ("visibility", .string("shared"), "visibility"),
        ("base_model", .string("SD 2.1"), "base_model"), ("base_model_type", .string("Refiner"), "base_model_type"),
        ("is_sdxl", .bool(true), "is_sdxl"), ("is_sdxl", .string("false"), "is_sdxl"),
        ("download_url_ttl", .number(JSONNumber(-1)), "download_url_ttl"), ("name", .string(""), "name"),
    ])
    func aBadFieldIsNamed(_ field: String, _ value: JSONValue, _ named: String) throws {
        let message = try #require(Self.refusal(Self.document([Self.entry([field: value])])), "\(field) accepted")
        #expect(message.contains("models[0]") && message.contains("\"\(named)\""), "\(message)")
    }

    @Test func duplicatesAreRefused() throws {
        let sameID = try #require(
            Self.refusal(Self.document([Self.entry(), Self.entry(["sd_name_in_api": "other"])])))
        #expect(sameID.contains("models[1]") && sameID.contains("duplicate id 7"), "\(sameID)")
        let sameName = try #require(Self.refusal(Self.document([Self.entry(), Self.entry(["id": 8])])))
        #expect(sameName.contains("models[1]") && sameName.contains("duplicate lora name \"test\""), "\(sameName)")
    }

    @Test func aBrokenDocumentIsRefused() {
        #expect(Self.refusal("[]")?.contains("\"models\" array") == true)
        #expect(Self.refusal("{\"models\": {}}")?.contains("must be an array") == true)
        #expect(Self.refusal("{\"models\": [1]}")?.contains("models[0]: must be an object") == true)
        #expect(Self.refusal("{\"models\": [") != nil)
        #expect(Self.refusal("{\"models\": []}") == nil, "an empty catalog is allowed")
    }
}
