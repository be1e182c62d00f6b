import ImageCodecs
import MicroHTTP

/// The synchronous third-party image endpoints (FLUX.1 schnell, Seedream; docs/contract.md §12):
/// validate, fetch the input images, keep the result as a finished task so its image URLs
/// resolve, and answer inline in the endpoint's own shape after the modelled duration. Fetching
/// and rendering run off the poll threads, in bounded pools.
struct ThirdPartyController: Sendable {
    let store: TaskStore
    let signer: ImageURLSigner
    let authenticator: Authenticator
    let clock: MockClock
    /// `--speed`: divides the modelled durations; 0 answers at once.
    let speed: Double
    let imageBase: ImageBaseURL
    let fetcher: InputImageFetcher
    /// Charges accepted calls their price (docs/contract.md §13.3); nil bills nothing.
    var billing: Billing? = nil

    /// FLUX.1 schnell's documented `image_url_ttl`: seven days, as an integer.
    static let schnellURLSeconds: Int64 = 604_800

    func run(_ definition: EndpointDefinition, _ request: HTTPRequest, mode: ValidationMode) -> HTTPReply {
        authenticator.authenticated(request) { tenant in
            do throws(APIError) {
                try RequestValidator.requireJSON(request)
                let (_, timing) = try SubmissionReader.controls(request.headers)
                // A network wait (input URLs) or CPU work (inline base64 output): never a poll thread.
                let fetches = SubmissionInputs.fetches(definition)
                let pool = fetches ? BlockingWorkPool.fetches : BlockingWorkPool.cpu
                let limit = fetches ? BlockingWorkPool.fetchQueueLimit : BlockingWorkPool.cpuQueueLimit
                return pool.syncCallReply(limit: limit) { [self] in
                    answer(definition, request, tenant: tenant, mode: mode, timing: timing)
                }
            } catch {
                return .now(error.response)
            }
        }
    }

    /// One call: the response and the modelled milliseconds it should take in all.
    private func answer(
        _ definition: EndpointDefinition, _ request: HTTPRequest, tenant: String, mode: ValidationMode,
        timing: TimingOverrides
    ) -> (HTTPResponse, Int64) {
        let validated: ValidatedBody
        do {
            validated = try RequestValidator.validate(body: request.body, schema: definition.schema, mode: mode)
        } catch {
            return (error.response, 0)
        }
        var plan = ThirdPartyImage.plan(definition, request: validated.body)
        let requestedSeed = validated.body["seed"]?.integerValue ?? -1
        var inputBytes: [UInt8]?
        switch ThirdPartyImage.fetchInputs(
            &plan, definition: definition, request: validated.body, fetcher: fetcher)
        {
        case .success(let bytes): inputBytes = bytes
        case .failure(let failure): return (APIError.invalidBody(failure.reason).response, 0)
        }
        var submission = TaskSubmission(
            tenant: tenant,
            parameters: ThirdPartyImage.parameters(
                plan, hasInput: inputBytes != nil, taskType: definition.taskType, requestedSeed: requestedSeed),
            requestedSeed: requestedSeed, inputImage: inputBytes, extra: ExtraOptions(),
            imageBaseURL: imageBase.url(for: request),
            requestSummary: SubmissionReader.summary(of: validated.body, images: validated.images))
        submission.finishedAtSubmit = true
        // Billing after validation and the fetches, before the task is stored (docs/contract.md §13.3).
        var charge: Ledger.Charge?
        if let billing, let price = definition.price {
            let units = Billing.units(per: price.per, images: plan.count, frames: nil, framesPerSecond: nil)
            do {
                charge = try billing.charge(tenant: tenant, credits: Billing.credits(price, units: units))
            } catch {
                return (error.response, 0)
            }
        }
        let record: TaskRecord
        do {
            record = try store.submit(submission)
        } catch {
            if let billing, let charge { billing.refund(charge) }
            return (error.response, 0)
        }
        let issued = record.finishedAt ?? clock.nowMs()
        let urls = (0..<plan.count).map {
            signer.url(base: record.imageBaseURL, taskID: record.id, index: $0, format: plan.format, issuedAtMs: issued)
        }
        let body: JSONValue
        switch definition.mode {
        case .syncTaskImages:
            body = [
                "images": .array(
                    urls.map {
                        [
                            "image_url": .string($0), "image_url_ttl": .number(JSONNumber(Self.schnellURLSeconds)),
                            "image_type": .string(plan.format.rawValue),
                        ]
                    }),
                "task": ["task_id": .string(record.id)],
            ]
        case .syncImageURLs where validated.body["response_format"]?.stringValue == "b64_json":
            var encoded: [JSONValue] = []
            for index in 0..<plan.count {
                do {
                    let bytes = try ImageService.render(record, index: index, inputBytes: inputBytes)
                    encoded.append(.string(Base64.encode(bytes)))
                } catch {
                    return (APIError.invalidBody("the output image could not be made: \(error.message)").response, 0)
                }
            }
            body = ["image_urls": [], "binary_data_base64": .array(encoded)]
        case .syncImageURLs:
            body = ["image_urls": .array(urls.map(JSONValue.string)), "binary_data_base64": []]
        default:
            body = ["images": .array(urls.map(JSONValue.string))]
        }
        var response = HTTPResponse.json(body)
        if let charge { Billing.annotate(&response, with: charge) }
        response.annotations[ResponseAnnotation.taskID] = record.id
        response.annotations[ResponseAnnotation.requestSummary] = String(
            decoding: record.requestSummary, as: UTF8.self)
        if !validated.warnings.isEmpty {
            response.headers.set(MockWarnings.header, MockWarnings.headerValue(validated.warnings))
        }
        return (response, modelledMilliseconds(definition, plan, timing: timing))
    }

    /// `X-Mock-Duration-Ms` when given, else the definition's model divided by `--speed`; nothing
    /// with `--speed 0` or the virtual clock.
    func modelledMilliseconds(_ definition: EndpointDefinition, _ plan: ThirdPartyImage.Plan, timing: TimingOverrides)
        -> Int64
    {
        if let forced = timing.processingMs { return forced }
        guard speed > 0, clock.mode == .real, let ms = ThirdPartyImage.modelledMs(definition.duration, plan) else {
            return 0
        }
        return Int64((ms / speed).rounded())
    }
}
