import Digests
import Dispatch
import ImageCodecs
import MicroHTTP

/// The synchronous editors (docs/contract.md §12): validate, run the definition's operation in
/// the CPU pool, answer `{"image_file", "image_type"}` (or `{"prompt"}`) after the modelled
/// duration. Auth, faults, rate limits, journal and metrics come from the pipeline around it.
struct EditorController: Sendable {
    let authenticator: Authenticator
    let clock: MockClock
    /// `--speed`: divides the modelled durations; 0 answers at once.
    let speed: Double
    /// Charges accepted calls their price (docs/contract.md §13.3); nil bills nothing.
    var billing: Billing? = nil

    func run(_ definition: EndpointDefinition, _ request: HTTPRequest, mode: ValidationMode) -> HTTPReply {
        authenticator.authenticated(request) { tenant in
            do throws(APIError) {
                try RequestValidator.requireJSON(request)
                let (_, timing) = try SubmissionReader.controls(request.headers)
                return BlockingWorkPool.cpu.syncCallReply(limit: BlockingWorkPool.cpuQueueLimit) { [self] in
                    editResponse(definition, request, tenant: tenant, mode: mode, timing: timing)
                }
            } catch {
                return .now(error.response)
            }
        }
    }

    /// Validates and runs one editor call; returns the response and the modelled milliseconds
    /// the call should take in all (0 when the answer should not wait).
    private func editResponse(
        _ definition: EndpointDefinition, _ request: HTTPRequest, tenant: String, mode: ValidationMode,
        timing: TimingOverrides
    ) -> (HTTPResponse, Int64) {
        let validated: ValidatedBody
        do {
            validated = try RequestValidator.validate(body: request.body, schema: definition.schema, mode: mode)
        } catch {
            return (error.response, 0)
        }
        var images: [String: PixelBuffer] = [:]
        var megapixels = 0.0
        for (path, image) in validated.images {
            images[path] = image.pixels
            megapixels = max(megapixels, Double(image.header.width * image.header.height) / 1_000_000)
        }
        let normalized = JSONWriter.serialize(.object(validated.body))
        let digest = SHA256.hash(normalized)
        let seed = digest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let format =
            validated.body["extra"]?.objectValue?["response_image_type"]?.stringValue.flatMap(ImageFormat.init)
            ?? .png
        guard let operation = definition.operation.flatMap(ImageOperation.init(rawValue:)) else {
            return (APIError.invalidBody("\(definition.path) names no operation").response, 0)
        }
        let input = OperationInput(images: images, fields: validated.body, seed: seed)
        // Billing after validation, before the work: a call that fails validation costs nothing,
        // and one whose operation then fails is given its credits back.
        var charge: Ledger.Charge?
        if let billing, let price = definition.price {
            do {
                charge = try billing.charge(
                    tenant: tenant, credits: Billing.credits(price, units: Billing.units(per: price.per)))
            } catch {
                return (error.response, 0)
            }
        }
        let refund = { if let billing, let charge { billing.refund(charge) } }
        let body: [UInt8]
        do {
            switch try operation.run(input) {
            case .text(let text):
                body = JSONWriter.serialize(["prompt": .string(text)])
            case .image(let image):
                let parameters =
                    "\(operation.rawValue)\nSeed: \(seed), Size: \(image.pixels.width)x\(image.pixels.height)"
                let bytes = try EditorOutput.encode(image, as: format, parameters: parameters)
                body = Self.imageAnswer(bytes, format: format)
            }
        } catch let failure as OperationFailure {
            refund()
            return (
                APIError.violations([Violation(path: failure.field, expected: failure.message, actual: "")]).response, 0
            )
        } catch {
            refund()
            return (APIError.invalidBody("the output image could not be encoded: \(error)").response, 0)
        }
        var response = HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: body)
        if let charge { Billing.annotate(&response, with: charge) }
        response.annotations[ResponseAnnotation.requestSummary] = String(
            decoding: SubmissionReader.summary(of: validated.body, images: validated.images), as: UTF8.self)
        if !validated.warnings.isEmpty {
            response.headers.set(MockWarnings.header, MockWarnings.headerValue(validated.warnings))
        }
        return (response, modelledMilliseconds(definition, megapixels: megapixels, timing: timing))
    }

    /// `{"image_file":"<base64>","image_type":"<format>"}`, byte for byte what `JSONWriter`
    /// makes of that object (base64 and the format names need no escape), written straight into
    /// one buffer of the final size: no 2–3 MB String to build, scan and copy while growing.
    static func imageAnswer(_ image: [UInt8], format: ImageFormat) -> [UInt8] {
        let head = Array(#"{"image_file":""#.utf8)
        let tail = Array(#"","image_type":""#.utf8) + Array(format.rawValue.utf8) + Array(#""}"#.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(head.count + (image.count + 2) / 3 * 4 + tail.count)
        out += head
        Base64.append(image, to: &out)
        out += tail
        return out
    }

    /// The time a sync call takes: `X-Mock-Duration-Ms` when given (not scaled), else the
    /// definition's duration model divided by `--speed`; nothing with `--speed 0` or the virtual
    /// clock (a test must not wait on a clock that does not move).
    func modelledMilliseconds(_ definition: EndpointDefinition, megapixels: Double, timing: TimingOverrides) -> Int64 {
        if let forced = timing.processingMs { return forced }
        guard speed > 0, clock.mode == .real, let model = definition.duration else { return 0 }
        let ms = Double(model.baseMs) + Double(model.perMegapixelMs) * megapixels
        return Int64((ms / speed).rounded())
    }
}
