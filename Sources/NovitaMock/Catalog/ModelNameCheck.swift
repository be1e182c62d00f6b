/// Checks the model names of a validated request against the catalog (docs/contract.md §11): every name must
/// be a catalog model of the right type and available; with `--strict-models` the base models
/// must also agree (an SDXL checkpoint takes SDXL ControlNets, LoRAs and `ip-adapter_sdxl.bin`,
/// an SD 1.5 checkpoint the SD 1.5 ones).
struct ModelNameCheck {
    let catalog: ModelCatalog

    /// The problems of `request` (the validated `request` object), in body order.
    func problems(kind: TaskKind, request: JSONObject, checkBaseModels: Bool) -> [Violation] {
        guard kind != .upscale else { return [] }  // upscalers are an enum, checked by the rule table
        var problems: [Violation] = []
        var checkpointIsSDXL: Bool?
        for (key, value) in request.entries {
            switch key {
            case "model_name":
                guard let name = value.stringValue else { continue }
                if let model = catalog.checkpoint(named: name) {
                    checkpointIsSDXL = model.isSDXL
                    if !model.isAvailable {
                        problems.append(unavailable("request.model_name", name))
                    }
                } else {
                    problems.append(unknown("request.model_name", "a checkpoint sd_name", name))
                }
            case "sd_vae":
                guard let name = value.stringValue else { continue }
                if catalog.vae(named: name) == nil { problems.append(unknown("request.sd_vae", "a VAE sd_name", name)) }
            case "loras", "embeddings":
                for (index, item) in (value.arrayValue ?? []).enumerated() {
                    guard let name = item.objectValue?["model_name"]?.stringValue else { continue }
                    let path = "request.\(key)[\(index)].model_name"
                    let model = key == "loras" ? catalog.lora(named: name) : catalog.embedding(named: name)
                    if model == nil {
                        let what = key == "loras" ? "a LoRA sd_name_in_api" : "a textual inversion sd_name_in_api"
                        problems.append(unknown(path, what, name))
                    }
                }
            default:
                continue
            }
        }
        if checkBaseModels, let sdxl = checkpointIsSDXL {
            problems += baseModelProblems(request: request, checkpointIsSDXL: sdxl)
        }
        return problems
    }

    private func baseModelProblems(request: JSONObject, checkpointIsSDXL sdxl: Bool) -> [Violation] {
        let base = sdxl ? "SDXL 1.0" : "SD 1.5"
        var problems: [Violation] = []
        func mismatch(_ path: String, _ name: String, isSDXL: Bool) {
            guard isSDXL != sdxl else { return }
            problems.append(
                Violation(
                    path: path, expected: "a \(base) model (the checkpoint is \(base))",
                    actual: "\"\(name)\" (\(isSDXL ? "SDXL 1.0" : "SD 1.5"))"))
        }
        for (index, unit) in (request["controlnet"]?.objectValue?["units"]?.arrayValue ?? []).enumerated() {
            guard let name = unit.objectValue?["model_name"]?.stringValue else { continue }
            mismatch(
                "request.controlnet.units[\(index)].model_name", name,
                isSDXL: name.contains("sdxl"))  // every SDXL ControlNet of the vocabulary says so in its name
        }
        for (index, adapter) in (request["ip_adapters"]?.arrayValue ?? []).enumerated() {
            guard let name = adapter.objectValue?["model_name"]?.stringValue else { continue }
            mismatch("request.ip_adapters[\(index)].model_name", name, isSDXL: name == "ip-adapter_sdxl.bin")
        }
        for (index, lora) in (request["loras"]?.arrayValue ?? []).enumerated() {
            guard let name = lora.objectValue?["model_name"]?.stringValue, let model = catalog.lora(named: name) else {
                continue
            }
            mismatch("request.loras[\(index)].model_name", name, isSDXL: model.isSDXL)
        }
        return problems
    }

    private func unknown(_ path: String, _ what: String, _ name: String) -> Violation {
        Violation(
            path: path, expected: "\(what) listed by GET /v3/model", actual: RequestValidator.describe(.string(name)))
    }

    private func unavailable(_ path: String, _ name: String) -> Violation {
        Violation(path: path, expected: "an available model (status 1)", actual: "\"\(name)\" (status 0)")
    }
}
