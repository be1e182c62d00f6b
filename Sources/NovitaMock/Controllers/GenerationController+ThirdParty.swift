import MicroHTTP

extension GenerationController {
    /// A third-party model's task (docs/contract.md §12): the size from the model's own
    /// vocabulary, input images fetched by URL (this runs on the fetch pool when the endpoint
    /// takes any); an image that cannot be fetched makes a task that fails with the reason.
    func acceptThirdParty(
        _ definition: EndpointDefinition, _ request: HTTPRequest, tenant: String, mode: ValidationMode
    ) throws(APIError) -> (TaskRecord, [String], Ledger.Charge?) {
        try RequestValidator.requireJSON(request)
        let validated = try RequestValidator.validate(body: request.body, schema: definition.schema, mode: mode)
        let (outcome, timing) = try SubmissionReader.controls(request.headers)
        var plan = ThirdPartyImage.plan(definition, request: validated.body)
        let requestedSeed = validated.body["seed"]?.integerValue ?? -1
        var planned = outcome ?? .succeed
        var inputBytes: [UInt8]?
        switch ThirdPartyImage.fetchInputs(
            &plan, definition: definition, request: validated.body, fetcher: fetcher)
        {
        case .success(let bytes): inputBytes = bytes
        case .failure(let failure): planned = .fail(reason: failure.reason)
        }
        let extra = SubmissionReader.extra(validated.body["extra"]?.objectValue)
        if let testStatus = extra.webhook?.testModeStatus {
            planned =
                testStatus == .failed ? .fail(reason: "test mode: the webhook test event reports a failure") : .succeed
        }
        let submission = TaskSubmission(
            tenant: tenant,
            parameters: ThirdPartyImage.parameters(
                plan, hasInput: inputBytes != nil, taskType: definition.taskType, requestedSeed: requestedSeed),
            requestedSeed: requestedSeed, inputImage: inputBytes, extra: extra,
            outcome: planned, timing: timing, imageBaseURL: imageBase.url(for: request),
            requestSummary: SubmissionReader.summary(of: validated.body, images: validated.images),
            modelledProcessingMs: ThirdPartyImage.modelledMs(definition.duration, plan))
        // Billing is the last check, as for every submit (docs/contract.md §13.3).
        var charge: Ledger.Charge?
        if let billing, let price = definition.price {
            let units = Billing.units(per: price.per, images: plan.count, frames: nil, framesPerSecond: nil)
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
            [("task_id", record.id), ("tenant", Logger.redact(tenant)), ("type", definition.taskType ?? "")])
        return (record, validated.warnings, charge)
    }
}
