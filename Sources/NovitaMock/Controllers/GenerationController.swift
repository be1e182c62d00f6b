import ASCIIText
import ImageCodecs
import MicroHTTP
import VideoCodecs

/// The generation area: every `async` endpoint's submit — validate, store the task, answer
/// `{"task_id"}`.
struct GenerationController: Sendable {
    let store: TaskStore
    let catalog: ModelCatalog
    let authenticator: Authenticator
    let logger: Logger
    let imageBase: ImageBaseURL
    /// `--strict-models`: names outside the catalog are a 400, not a warning.
    let strictModels: Bool
    /// `--speed`: 0 means a task has finished when its submit answers.
    let speed: Double
    /// Input images given by URL (`image_url`, `image`, `image_urls` …).
    var fetcher = InputImageFetcher()
    /// The assets host's files, for `…_assets_ids` fields.
    var assets = AssetStore(directory: nil)
    /// Charges accepted submits their price (docs/contract.md §13.3); nil bills nothing.
    var billing: Billing? = nil
    /// Each tenant's trained LoRAs, which its requests may name (docs/contract.md §13.2).
    var trainings: TrainingStore? = nil

    /// `POST /v3/async/<kind>`: validate, store, answer `{"task_id": …}` (docs/contract.md §4). Work that
    /// can take long runs off the poll threads: decoding submitted images (validation decodes
    /// every one; a 16-megapixel JPEG takes most of a second), and with a state directory the
    /// fsync before the answer.
    func submit(_ definition: EndpointDefinition, _ request: HTTPRequest, mode: ValidationMode) -> HTTPReply {
        if SubmissionInputs.fetches(definition) {
            // The input is fetched before the task is stored: a network wait, never on a poll thread.
            guard BlockingWorkPool.fetches.queuedCount < BlockingWorkPool.fetchQueueLimit else {
                return .now(APIError.workQueueFull().response)
            }
            return .deferred { [self] deliver in
                BlockingWorkPool.fetches.submit { [self] in deliver(acceptAndAnswer(definition, request, mode: mode)) }
            }
        }
        if request.body.count >= Self.inlineSubmitBodyBytes {
            // Decoding is CPU work: the bounded CPU pool, or 429 when its queue is full.
            guard BlockingWorkPool.cpu.queuedCount < BlockingWorkPool.cpuQueueLimit else {
                return .now(APIError.workQueueFull().response)
            }
            return .deferred { [self] deliver in
                BlockingWorkPool.cpu.submit { [self] in deliver(acceptAndAnswer(definition, request, mode: mode)) }
            }
        }
        if store.log != nil {
            // The fsync before the answer blocks: a blocking-work thread, never a poll thread.
            return .deferred { [self] deliver in
                BlockingWorkPool.stateWrites.submit { [self] in
                    deliver(acceptAndAnswer(definition, request, mode: mode))
                }
            }
        }
        return acceptAndAnswer(definition, request, mode: mode)
    }

    /// Smaller submits (a txt2img body, a tiny image) are answered on the poll thread.
    static let inlineSubmitBodyBytes = 16 * 1024

    /// How long an instant submit waits for its upload: the S3 request timeout and some margin.
    static let instantStorageWaitMs = 35_000

    private func acceptAndAnswer(_ definition: EndpointDefinition, _ request: HTTPRequest, mode: ValidationMode)
        -> HTTPReply
    {
        authenticator.authenticated(request) { tenant in
            do throws(APIError) {
                let (record, warnings, charge) = try accept(definition, request, tenant: tenant, mode: mode)
                var response = HTTPResponse.json(["task_id": .string(record.id)])
                response.annotations = [
                    ResponseAnnotation.taskID: record.id,
                    ResponseAnnotation.requestSummary: String(decoding: record.requestSummary, as: UTF8.self),
                ]
                if let charge { Billing.annotate(&response, with: charge) }
                if !warnings.isEmpty {
                    response.headers.set(MockWarnings.header, MockWarnings.headerValue(warnings))
                }
                if speed == 0, store.record(id: record.id)?.awaitingStorage == true {
                    // Instant means finished when the submit answers (docs/contract.md §5), custom-storage
                    // upload included: answer once it has settled (off the poll threads).
                    let (store, id, answer) = (self.store, record.id, response)
                    return .later {
                        store.waitForStorage(id: id, timeoutMs: Self.instantStorageWaitMs)
                        return answer
                    }
                }
                return .now(response)
            } catch {
                return .now(error.response)
            }
        }
    }

    private func accept(
        _ definition: EndpointDefinition, _ request: HTTPRequest, tenant: String, mode: ValidationMode
    ) throws(APIError) -> (TaskRecord, [String], Ledger.Charge?) {
        if definition.operation == ThirdPartyImage.operation {
            return try acceptThirdParty(definition, request, tenant: tenant, mode: mode)
        }
        // The catalog loads async definitions whose operation is a task kind or an editor's.
        let kind = TaskKind.allCases.first { $0.operationName == definition.operation } ?? .edit
        try RequestValidator.requireJSON(request)
        let validated = try RequestValidator.validate(
            body: request.body, schema: definition.schema, mode: mode)
        let (outcome, timing) = try SubmissionReader.controls(request.headers)
        // `{extra, request}` bodies hold the fields in `request`; flat ones (the async editors) at the top.
        let requestObject =
            definition.body == .wrapped ? validated.body["request"]?.objectValue ?? JSONObject() : validated.body
        var warnings = validated.warnings
        if kind != .edit && !kind.makesVideo {
            let tenantCatalog = trainings?.catalog(for: tenant, base: catalog) ?? catalog
            let nameProblems = ModelNameCheck(catalog: tenantCatalog).problems(
                kind: kind, request: requestObject, checkBaseModels: strictModels)
            if !nameProblems.isEmpty {
                if strictModels { throw APIError.violations(nameProblems) }
                warnings += nameProblems.map { "\($0.path): not in the model catalog (\($0.sentence))" }
            }
        }
        // docs/contract.md §12: every declared media input, one way: an input that cannot be fetched
        // (or is not what it is declared as) fails the task, with the reason; an unknown assets id
        // is a 400 naming the field.
        let inputs = try SubmissionInputs.gather(
            definition: definition, request: requestObject, images: validated.images, tenant: tenant,
            fetcher: fetcher, assets: assets)
        var fetchFailure = inputs.fetchFailure
        // A clip starts from its first frame and ends on its last, its shape the first frame's
        // (docs/contract.md §14); an edit keeps its inputs in a bundle.
        let inputImage = kind.makesVideo ? nil : inputs.stored(bundled: kind == .edit)
        let inputBytes = kind.makesVideo ? inputs.storedForVideo() : inputImage?.bytes
        let inputHeader = kind.makesVideo ? inputs.firstFrame?.header : inputImage?.header
        // Nested bodies (Wan 2.2 and later: `{input, parameters}`) are read like flat ones.
        let readable = kind.makesVideo ? SubmissionReader.flattened(requestObject) : requestObject
        var (parameters, requestedSeed) = SubmissionReader.parameters(
            kind: kind, request: readable, input: inputHeader)
        parameters.taskType = definition.taskType == kind.rawValue ? nil : definition.taskType
        parameters.operation = kind == .edit ? definition.operation : nil
        let extra = SubmissionReader.extra(validated.body["extra"]?.objectValue)
        parameters.format = extra.responseImageType
        if let format = requestObject["output_format"]?.stringValue.flatMap(ImageFormat.init(rawValue:)) {
            parameters.format = format  // the newer endpoints' own field (image-eraser, image-upscaler)
        }
        if kind == .edit, let native = definition.operation.flatMap(NativeImageOperation.init(rawValue:)) {
            if native.oneImagePerInput {
                // adetailer: one output per image of the field it uses (image_assets_ids before image_urls).
                let ids = inputs.images.filter { $0.name.hasPrefix("image_assets_ids[") }.count
                parameters.imageNum = max(1, ids > 0 ? ids : inputs.images.count)
            }
            if native == .imageUpscaler, let header = inputImage?.header {
                (parameters.width, parameters.height) = NativeImageOperation.upscaledSize(
                    width: header.width, height: header.height,
                    resolution: requestObject["resolution"]?.stringValue ?? "4k")
            }
        }
        var modelledMs: Double?
        if kind.makesVideo {
            SubmissionReader.video(
                kind: kind, request: readable, extra: validated.body["extra"]?.objectValue,
                defaults: definition.video, input: inputHeader, parameters: &parameters)
            if let source = inputs.source, let container = source.video {
                // video-merge-face remakes its video: its size, rate and frame count (docs/contract.md §14).
                if let problem = Self.sourceProblem(container) {
                    fetchFailure = fetchFailure ?? "\(source.name): \(problem)"
                } else {
                    (parameters.width, parameters.height) = (container.width, container.height)
                    parameters.video?.framesPerSecond = container.framesPerSecond
                    parameters.video?.frameCount = container.frameCount
                }
            }
            modelledMs = definition.duration.map { Self.videoMs($0, parameters) }
        }

        var planned = outcome ?? .succeed
        if let fetchFailure { planned = .fail(reason: fetchFailure) }
        if let testStatus = extra.webhook?.testModeStatus {
            planned =
                testStatus == .failed ? .fail(reason: "test mode: the webhook test event reports a failure") : .succeed
        }
        let submission = TaskSubmission(
            tenant: tenant, parameters: parameters, requestedSeed: requestedSeed,
            inputImage: inputBytes, extra: extra, outcome: planned,
            timing: timing, imageBaseURL: imageBase.url(for: request),
            requestSummary: SubmissionReader.summary(of: validated.body, images: validated.images),
            modelledProcessingMs: modelledMs)
        // Billing is the last check: everything above was valid, and the store is what creates.
        var charge: Ledger.Charge?
        if let billing, let price = definition.price {
            let units = Billing.units(
                per: price.per, images: parameters.imageNum, frames: parameters.video?.frameCount,
                framesPerSecond: parameters.video?.framesPerSecond)
            charge = try billing.charge(tenant: tenant, credits: Billing.credits(price, units: units))
        }
        let record: TaskRecord
        do {
            record = try store.submit(submission)
        } catch {
            if let billing, let charge { billing.refund(charge) }
            throw error
        }
        logger.debug(
            "task accepted",
            [("task_id", record.id), ("tenant", Logger.redact(tenant)), ("type", kind.rawValue)])
        return (record, warnings, charge)
    }

    /// What keeps a source video from being remade: beyond the documented 3840×2160, or more
    /// frames than the mock renders for one clip.
    static func sourceProblem(_ container: MP4Reader) -> String? {
        if container.width < 16 || container.height < 16 || max(container.width, container.height) > 3840
            || min(container.width, container.height) > 2160
        {
            return "the video is \(container.width)×\(container.height); expected 16×16 to 3840×2160"
        }
        if container.frameCount < 1 || container.frameCount > maxSourceFrames {
            return "the video has \(container.frameCount) frames; the mock remakes 1 to \(maxSourceFrames)"
        }
        return nil
    }

    /// Two minutes at 30 fps.
    static let maxSourceFrames = 3600

    /// A video endpoint's modelled time: `base + per_frame × frames × (width × height / 512²)`
    /// plus the SD term per step when the definition has one, in mock ms before `--speed`.
    static func videoMs(_ model: EndpointDefinition.DurationModel, _ p: GenerationParameters) -> Double {
        let area = Double(p.width * p.height) / Double(512 * 512)
        let frames = Double(p.video?.frameCount ?? 1)
        return Double(model.baseMs) + Double(model.perFrameMs) * frames * area + Double(model.perStepMs)
            * Double(p.steps) * area
    }
}
