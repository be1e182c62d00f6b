import Digests
import ImageCodecs
import MicroHTTP

/// The training area (docs/contract.md §13.2): dataset upload slots and their signed `PUT`,
/// subject and style trainings, their status and the list. A training's state is computed from
/// the mock's clock when read; a finished one is a private LoRA of its tenant's catalog.
struct TrainingController: Sendable {
    let authenticator: Authenticator
    let store: TrainingStore
    let signer: ImageURLSigner
    let imageBase: ImageBaseURL
    let clock: MockClock
    let random: RandomSource
    /// `--speed`: divides the modelled durations; 0 finishes a training (and deploys it) at once.
    let speed: Double
    let billing: Billing

    /// Where dataset files are `PUT`, signed like image URLs.
    static let uploadPathPrefix = "/faas-training-dataset/prod/"
    /// The docs' presigned URL says `X-Amz-Expires=120`.
    static let uploadExpirySeconds: Int64 = 120
    /// The largest dataset image taken, as Novita's image inputs (30 MB).
    static let maxUploadBytes = 30 * 1024 * 1024

    /// Modelled durations in mock milliseconds before `--speed` (Novita trains for minutes).
    static let queueMs: Int64 = 30_000
    static let trainingBaseMs: Int64 = 180_000
    static let trainingPerStepMs: Int64 = 100
    static let defaultTrainSteps: Int64 = 1000
    static let deployingMs: Int64 = 30_000

    func serve(_ definition: EndpointDefinition, _ request: HTTPRequest, mode: ValidationMode) -> HTTPReply {
        authenticator.authenticated(request) { tenant in
            do throws(APIError) {
                switch definition.operation {
                case "upload-dataset": return .now(try uploadSlot(definition, request, tenant: tenant, mode: mode))
                case "create-subject", "create-style":
                    return .now(try create(definition, request, tenant: tenant, mode: mode))
                case "status": return .now(try status(definition, request, tenant: tenant))
                default: return .now(try list(request, tenant: tenant))
                }
            } catch {
                return .now(error.response)
            }
        }
    }

    // MARK: datasets

    /// `POST /v3/assets/training_dataset`: a slot and the signed URL its file goes to.
    private func uploadSlot(
        _ definition: EndpointDefinition, _ request: HTTPRequest, tenant: String, mode: ValidationMode
    ) throws(APIError) -> HTTPResponse {
        try RequestValidator.requireJSON(request)
        let validated = try RequestValidator.validate(body: request.body, schema: definition.schema, mode: mode)
        let fileExtension = validated.body["file_extension"]?.stringValue ?? "png"
        let asset = store.newAsset(tenant: tenant, fileExtension: fileExtension)
        let base = imageBase.url(for: request)
        let path = Self.uploadPath(asset)
        let date = HTTPDate.amzDate(clock.nowMs())
        let signature = signer.signature(path: path, amzDate: date, expires: Self.uploadExpirySeconds)
        let url =
            "\(base)\(path)?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=\(date)&X-Amz-Expires=\(Self.uploadExpirySeconds)&X-Amz-SignedHeaders=host&X-Amz-Signature=\(signature)"
        let host = base.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? ""
        var response = HTTPResponse.json([
            "assets_id": .number(JSONNumber(asset.id)),
            "upload_url": .string(url),
            "method": "PUT",
            "headers": ["Host": ["values": [.string(host)]]],
        ])
        response.annotations[ResponseAnnotation.requestSummary] = String(
            decoding: JSONWriter.serialize(.object(validated.body)), as: UTF8.self)
        if !validated.warnings.isEmpty {
            response.headers.set(MockWarnings.header, MockWarnings.headerValue(validated.warnings))
        }
        return response
    }

    static func uploadPath(_ asset: TrainingStore.Asset) -> String {
        let file = Hex.string(SHA256.hash(Array("training-dataset/\(asset.id)".utf8)).prefix(16))
        return "\(uploadPathPrefix)\(asset.id)/\(file).\(asset.fileExtension)"
    }

    /// `PUT <upload_url>`: the dataset image. S3's XML errors, like the image URLs.
    func receiveUpload(_ request: HTTPRequest) -> HTTPReply {
        func refuse(_ status: Int, _ code: String, _ message: String) -> HTTPReply {
            .now(MediaController.s3Error(status, code: code, message: message, resource: request.path))
        }
        let verdict = signer.verify(
            path: request.path, query: request.query, nowMs: clock.nowMs(), prefix: Self.uploadPathPrefix)
        switch verdict {
        case .badSignature:
            return refuse(403, "SignatureDoesNotMatch", "The request signature we calculated does not match")
        case .expired:
            return refuse(403, "AccessDenied", "Request has expired")
        case .valid(let idText, _, _, _):
            guard let id = Int64(idText), let asset = store.asset(id: id), Self.uploadPath(asset) == request.path else {
                return refuse(404, "NoSuchKey", "The specified key does not exist.")
            }
            guard !request.body.isEmpty, request.body.count <= Self.maxUploadBytes else {
                return refuse(400, "InvalidArgument", "The body must be one image of at most 30 MB")
            }
            guard let header = try? ImageInspector.inspect(request.body, maxPixels: 1 << 26) else {
                return refuse(400, "InvalidArgument", "The body is not a PNG, JPEG or WebP image")
            }
            store.markUploaded(id: id, bytes: request.body.count, format: header.format.rawValue)
            let etag = "\"" + Hex.string(SHA256.hash(request.body).prefix(16)) + "\""
            return .now(HTTPResponse(status: 200, headers: ["ETag": etag], body: []))
        }
    }

    // MARK: trainings

    /// `POST /v3/training/subject|style`: checks the body and its datasets, then starts the training.
    private func create(
        _ definition: EndpointDefinition, _ request: HTTPRequest, tenant: String, mode: ValidationMode
    ) throws(APIError) -> HTTPResponse {
        try RequestValidator.requireJSON(request)
        let validated = try RequestValidator.validate(
            body: Self.assetIDsAsStrings(request.body), schema: definition.schema, mode: mode)
        let (outcome, timing) = try SubmissionReader.controls(request.headers)
        let body = validated.body
        let items = body["image_dataset_items"]?.arrayValue ?? []
        var violations: [Violation] = []
        for (index, item) in items.enumerated() {
            let given = item.objectValue?["assets_id"]?.stringValue ?? ""
            let asset = Int64(given).flatMap { store.asset(id: $0) }
            guard let asset, asset.tenant == tenant, asset.uploadedBytes != nil else {
                violations.append(
                    Violation(
                        path: "image_dataset_items[\(index)].assets_id",
                        expected: "the assets_id of a file uploaded to a POST /v3/assets/training_dataset upload_url",
                        actual: asset == nil || asset?.tenant != tenant
                            ? "\"\(given.prefix(64))\" (unknown)" : "\"\(given)\" (nothing was uploaded to it)"))
                continue
            }
        }
        // Like model names (docs/contract.md §11): a warning in compat mode, a 400 in strict mode.
        var warnings = validated.warnings
        if !violations.isEmpty {
            if mode == .strict { throw APIError.violations(violations) }
            warnings += violations.map { "\($0.path): \($0.sentence)" }
        }

        let type = definition.operation == "create-style" ? "style" : "subject"
        let steps = body["expert_setting"]?.objectValue?["max_train_steps"]?.integerValue ?? Self.defaultTrainSteps
        func scaled(_ ms: Int64) -> Int64 { speed > 0 ? Int64((Double(ms) / speed).rounded()) : 0 }
        let now = clock.nowMs()
        let id = random.uuid()
        let suffix = Hex.string(SHA256.hash(Array(id.utf8)).prefix(5)).uppercased()
        var failure: String?
        if case .fail(let reason) = outcome { failure = reason }
        let training = TrainingStore.Training(
            id: id, tenant: tenant, name: body["name"]?.stringValue ?? "",
            type: type, baseModel: body["base_model"]?.stringValue ?? "",
            createdMs: now,
            queueMs: timing.queueMs ?? scaled(Self.queueMs),
            trainingMs: timing.processingMs ?? scaled(Self.trainingBaseMs + Self.trainingPerStepMs * steps),
            deployingMs: scaled(Self.deployingMs),
            failureReason: failure,
            modelName: "model_\(now / 1000)_\(suffix).safetensors")
        // The charge is the last check (docs/contract.md §13.3); a training cannot fail to be stored.
        var charge: Ledger.Charge?
        if let price = definition.price {
            charge = try billing.charge(tenant: tenant, credits: Billing.credits(price, units: 1))
        }
        store.add(training)
        var response = HTTPResponse.json(["task_id": .string(id)])
        response.annotations[ResponseAnnotation.taskID] = id
        response.annotations[ResponseAnnotation.requestSummary] = String(
            decoding: JSONWriter.serialize(.object(body)), as: UTF8.self)
        if let charge { Billing.annotate(&response, with: charge) }
        if !warnings.isEmpty {
            response.headers.set(MockWarnings.header, MockWarnings.headerValue(warnings))
        }
        return response
    }

    /// The style page types `assets_id` as an integer, the SDK sends a string: integers become
    /// their digits before the rules (which say string) see them.
    static func assetIDsAsStrings(_ body: [UInt8]) -> [UInt8] {
        guard case .object(var top)? = try? JSONParser.parse(body),
            let items = top["image_dataset_items"]?.arrayValue
        else { return body }
        var changed = false
        let converted = items.map { item -> JSONValue in
            guard case .object(var object) = item, let number = object["assets_id"]?.integerValue else { return item }
            object["assets_id"] = .string(String(number))
            changed = true
            return .object(object)
        }
        guard changed else { return body }
        top["image_dataset_items"] = .array(converted)
        return JSONWriter.serialize(.object(top))
    }

    /// `GET /v3/training/subject|style?task_id=`.
    private func status(_ definition: EndpointDefinition, _ request: HTTPRequest, tenant: String) throws(APIError)
        -> HTTPResponse
    {
        guard let id = request.queryValue("task_id"), !id.isEmpty else {
            throw APIError.violations([
                Violation(path: "query task_id", expected: "the task_id a training POST answered", actual: "nothing")
            ])
        }
        let type = definition.path.hasSuffix("/style") ? "style" : "subject"
        guard let training = store.training(id: id, tenant: tenant), training.type == type else {
            throw APIError.taskNotFound(id)
        }
        let snapshot = TrainingStore.snapshot(training, nowMs: clock.nowMs())
        var response = HTTPResponse.json([
            "task_id": .string(training.id),
            "task_status": .string(snapshot.status),
            "model_type": "lora",
            "models": Self.models(snapshot),
            "extra": [
                "eta_relative": .number(JSONNumber(snapshot.etaSeconds)),
                "progress_percent": .number(JSONNumber(snapshot.progressPercent)),
            ],
        ])
        if let reason = training.failureReason, snapshot.status == "FAILED" {
            response.annotations[ResponseAnnotation.message] = reason
        }
        return response
    }

    private static func models(_ snapshot: TrainingStore.Snapshot) -> JSONValue {
        guard let modelStatus = snapshot.modelStatus else { return [] }
        return [["model_name": .string(snapshot.training.modelName), "model_status": .string(modelStatus)]]
    }

    /// `GET /v3/training?pagination.limit=&pagination.cursor=&task_type=`: newest first.
    private func list(_ request: HTTPRequest, tenant: String) throws(APIError) -> HTTPResponse {
        var limit = 10
        if let text = request.queryValue("pagination.limit") {
            guard let value = Int(text), (1...100).contains(value) else {
                throw APIError.violations([
                    Violation(
                        path: "query pagination.limit", expected: "an integer in (0, 100]",
                        actual: "\"\(text.prefix(40))\"")
                ])
            }
            limit = value
        }
        var offset = 0
        if let cursor = request.queryValue("pagination.cursor"), !cursor.isEmpty {
            guard let value = CatalogQuery.offset(fromCursor: cursor) else {
                throw APIError.violations([
                    Violation(
                        path: "query pagination.cursor", expected: "empty or c_<offset> (a next_cursor)",
                        actual: "\"\(cursor.prefix(40))\"")
                ])
            }
            offset = value
        }
        let type = request.queryValue("task_type")
        let now = clock.nowMs()
        let matching = store.trainings(tenant: tenant).filter { type == nil || type == "" || $0.type == type }
        let page = offset < matching.count ? Array(matching[offset..<min(matching.count, offset + limit)]) : []
        let next = offset + limit < matching.count ? CatalogQuery.cursor(offset: offset + limit) : ""
        let tasks = page.map { training -> JSONValue in
            let snapshot = TrainingStore.snapshot(training, nowMs: now)
            return [
                "task_name": .string(training.name),
                "task_id": .string(training.id),
                "task_type": .string(training.type),
                "task_status": .string(snapshot.status),
                "created_at": .number(JSONNumber(training.createdMs / 1000)),
                "models": Self.models(snapshot),
            ]
        }
        return .json(["tasks": .array(tasks), "pagination": ["next_cursor": .string(next)]])
    }
}
