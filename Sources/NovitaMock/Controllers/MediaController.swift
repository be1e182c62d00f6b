import ASCIIText
import ImageCodecs
import MicroHTTP

/// The media area: the signed image and video URLs task-result hands out.
struct MediaController: Sendable {
    let signer: ImageURLSigner
    let store: TaskStore
    let images: ImageService
    let clock: MockClock
    /// Kept response objects and checked URLs of repeated downloads.
    let prepared = PreparedMedia()

    /// `GET`/`HEAD` of an image URL (docs/contract.md §7): signature, then expiry, then existence, each
    /// refused with an S3-style XML error; then the bytes, rendered in the CPU pool when not
    /// cached (429 `SlowDown` when its queue is full).
    func downloadImage(_ request: HTTPRequest) -> HTTPReply {
        let (taskID, fileID, fileExtension, expiresAt): (String, String, String, Int64)
        switch signedKey(request, prefix: ImageURLSigner.pathPrefix) {
        case .success(let key): (taskID, fileID, fileExtension, expiresAt) = key
        case .failure(let refusal): return .now(refusal.response)
        }
        // Read before the record: a removal after it keeps the early answer from being used.
        let generation = store.removalGeneration
        guard let record = store.record(id: taskID), record.status == .succeed,
            record.parameters.format.fileExtension == fileExtension,
            let index = (0..<record.parameters.imageNum).first(where: {
                ImageURLSigner.fileID(taskID: taskID, index: $0) == fileID
            })
        else {
            return .now(
                Self.s3Error(
                    404, code: "NoSuchKey", message: "The specified key does not exist.", resource: request.path))
        }
        let secondsLeft = max(0, (expiresAt - clock.nowMs()) / 1000)
        // A cached image is answered on the poll thread; only rendering goes to the background.
        let cacheKey = ImageService.cacheKey(taskID: record.id, index: index)
        if let cached = images.cache.cachedImage(for: cacheKey) {
            let response = Self.imageResponse(
                cached, format: record.parameters.format, lastModifiedMs: record.finishedAt ?? 0,
                maxAge: secondsLeft, request: request)
            return .now(
                answer(
                    prepared.response(for: cacheKey, matching: response), request: request, expiresAtMs: expiresAt,
                    maxAge: secondsLeft, generation: generation))
        }
        let images = self.images
        let respond: @Sendable () -> HTTPResponse = {
            do throws(RenderFailure) {
                let image = try images.image(of: record, index: index)
                return Self.imageResponse(
                    image, format: record.parameters.format, lastModifiedMs: record.finishedAt ?? 0,
                    maxAge: secondsLeft, request: request)
            } catch {
                // Should not happen (validation decodes every input); if it does, answer as S3
                // would, in XML like every other error of an image URL.
                return Self.s3Error(
                    500, code: "InternalError", message: "We encountered an internal error: \(error.message)",
                    resource: request.path)
            }
        }
        return Self.inCPUPool(respond, resource: request.path)
    }

    /// `GET`/`HEAD` of a video URL (docs/contract.md §14): checked like an image URL, then the
    /// clip, encoded in the CPU pool when not cached. Ranges matter most here: players seek with them.
    func downloadVideo(_ request: HTTPRequest) -> HTTPReply {
        let (taskID, fileID, fileExtension, expiresAt): (String, String, String, Int64)
        switch signedKey(request, prefix: ImageURLSigner.videoPathPrefix) {
        case .success(let key): (taskID, fileID, fileExtension, expiresAt) = key
        case .failure(let refusal): return .now(refusal.response)
        }
        let generation = store.removalGeneration
        guard let record = store.record(id: taskID), record.status == .succeed,
            let video = record.parameters.video, video.container.fileExtension == fileExtension,
            ImageURLSigner.fileID(taskID: taskID, index: 0) == fileID
        else {
            return .now(
                Self.s3Error(
                    404, code: "NoSuchKey", message: "The specified key does not exist.", resource: request.path))
        }
        let secondsLeft = max(0, (expiresAt - clock.nowMs()) / 1000)
        let contentType = video.container.mimeType
        let cacheKey = ImageService.videoCacheKey(taskID: record.id)
        if let cached = images.cache.cachedImage(for: cacheKey) {
            let response = Self.mediaResponse(
                cached, contentType: contentType, lastModifiedMs: record.finishedAt ?? 0, maxAge: secondsLeft,
                request: request)
            return .now(
                answer(
                    prepared.response(for: cacheKey, matching: response), request: request, expiresAtMs: expiresAt,
                    maxAge: secondsLeft, generation: generation))
        }
        let images = self.images
        let respond: @Sendable () -> HTTPResponse = {
            do throws(RenderFailure) {
                let clip = try images.video(of: record)
                return Self.mediaResponse(
                    clip, contentType: contentType, lastModifiedMs: record.finishedAt ?? 0, maxAge: secondsLeft,
                    request: request)
            } catch {
                return Self.s3Error(
                    500, code: "InternalError", message: "We encountered an internal error: \(error.message)",
                    resource: request.path)
            }
        }
        return Self.inCPUPool(respond, resource: request.path)
    }

    /// `response`, a cached download's answer; a full one to a `GET` is also kept for the same URL's
    /// next downloads to be answered from the request head (`CachedMediaResponder`).
    private func answer(
        _ response: HTTPResponse, request: HTTPRequest, expiresAtMs: Int64, maxAge: Int64, generation: Int
    ) -> HTTPResponse {
        if request.method == "GET", response.status == 200, let made = response.prepared {
            prepared.early.stamp(
                path: request.path, query: request.query, expiresAtMs: expiresAtMs, maxAge: maxAge,
                generation: generation, prepared: made)
        }
        return response
    }

    /// An S3-style refusal of a media URL.
    struct Refusal: Error {
        let response: HTTPResponse
    }

    /// The task, file, extension and expiry a signed URL names: signature first, then expiry
    /// (docs/contract.md §7 order); existence is the caller's.
    private func signedKey(_ request: HTTPRequest, prefix: String) -> Result<
        (String, String, String, Int64), Refusal
    > {
        let now = clock.nowMs()
        let verdict = prepared.verdict(path: request.path, query: request.query, nowMs: now) {
            signer.verify(path: request.path, query: request.query, nowMs: now, prefix: prefix)
        }
        switch verdict {
        case .badSignature:
            return .failure(
                Refusal(
                    response: Self.s3Error(
                        403, code: "SignatureDoesNotMatch",
                        message: "The request signature we calculated does not match the signature you provided.",
                        resource: request.path)))
        case .expired:
            return .failure(
                Refusal(
                    response: Self.s3Error(
                        403, code: "AccessDenied", message: "Request has expired", resource: request.path)))
        case .valid(let id, let file, let ext, let expiry):
            return .success((id, file, ext, expiry))
        }
    }

    /// Rendering or encoding in the CPU pool; when its queue is full, 429 `SlowDown` as S3 would
    /// ask (never a 5xx the caller did not inject).
    private static func inCPUPool(_ respond: @escaping @Sendable () -> HTTPResponse, resource: String) -> HTTPReply {
        guard BlockingWorkPool.cpu.queuedCount < BlockingWorkPool.cpuQueueLimit else {
            var busy = s3Error(429, code: "SlowDown", message: "Please reduce your request rate.", resource: resource)
            busy.headers.set("Retry-After", "1")
            return .now(busy)
        }
        return .deferred { deliver in BlockingWorkPool.cpu.submit { deliver(.now(respond())) } }
    }

    static func imageResponse(
        _ image: EncodedImage, format: ImageFormat, lastModifiedMs: Int64, maxAge: Int64, request: HTTPRequest
    ) -> HTTPResponse {
        mediaResponse(
            image, contentType: format.mimeType, lastModifiedMs: lastModifiedMs, maxAge: maxAge, request: request)
    }

    /// The bytes of an image or a clip with S3's headers: conditional requests, single ranges.
    static func mediaResponse(
        _ image: EncodedImage, contentType: String, lastModifiedMs: Int64, maxAge: Int64, request: HTTPRequest
    ) -> HTTPResponse {
        var headers: HTTPHeaders = [
            "Content-Type": contentType,
            "ETag": image.etag,
            "Last-Modified": HTTPDate.imfFixdate(lastModifiedMs),
            "Cache-Control": "private, max-age=\(maxAge)",
            "Accept-Ranges": "bytes",
        ]
        let total = image.bytes.count
        if let match = request.headers["If-None-Match"],
            match.split(separator: ",").contains(where: {
                $0.trimmingSpaces == image.etag || $0.trimmingSpaces == "*"
            })
        {
            return HTTPResponse(status: 304, headers: headers)
        }
        if let rangeHeader = request.headers["Range"] {
            switch ByteRange.parse(rangeHeader, length: total) {
            case .none:
                break
            case .unsatisfiable:
                headers.set("Content-Range", "bytes */\(total)")
                headers.set("Content-Type", "application/xml")
                let body = s3ErrorBody(
                    code: "InvalidRange", message: "The requested range is not satisfiable", resource: request.path)
                return HTTPResponse(status: 416, headers: headers, body: body)
            case .range(let range):
                headers.set("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(total)")
                return HTTPResponse(status: 206, headers: headers, body: .shared(image.bytes, range: range))
            }
        }
        return HTTPResponse(status: 200, headers: headers, body: .shared(image.bytes, range: 0..<total))
    }

    static func s3Error(_ status: Int, code: String, message: String, resource: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: ["Content-Type": "application/xml"],
            body: s3ErrorBody(code: code, message: message, resource: resource))
    }

    static func s3ErrorBody(code: String, message: String, resource: String) -> [UInt8] {
        func escape(_ text: String) -> String { text.escaping(String.xmlEscapes) }
        let xml =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(escape(message))</Message><Resource>\(escape(String(resource.prefix(300))))</Resource><RequestId>novita-mock</RequestId></Error>"
        return Array(xml.utf8)
    }
}

/// One `Range: bytes=…` request header, as RFC 9110 reads it (single ranges only; a multi-range
/// request is answered whole, which the RFC allows).
enum ByteRange: Equatable {
    case none
    case unsatisfiable
    case range(Range<Int>)

    static func parse(_ header: String, length: Int) -> ByteRange {
        let trimmed = header.trimmingSpaces
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .none }
        let spec = trimmed.dropFirst(6)
        guard !spec.contains(",") else { return .none }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .none }
        let first = parts[0].trimmingSpaces
        let last = parts[1].trimmingSpaces
        if first.isEmpty {
            guard let suffix = position(last) else { return .none }
            guard suffix > 0, length > 0 else { return .unsatisfiable }
            return .range((suffix >= length ? 0 : length - suffix)..<length)
        }
        guard let start = position(first) else { return .none }
        guard start < length else { return .unsatisfiable }
        if last.isEmpty { return .range(start..<length) }
        guard let end = position(last), end >= start else { return .none }
        // `end` may be anything up to Int.max (clients send huge ones): clamp before adding.
        return .range(start..<(end >= length - 1 ? length : end + 1))
    }

    /// A byte position: digits only; a number too large for `Int` counts as `Int.max` (it only
    /// ever means "to the end").
    private static func position(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text) ?? .max
    }
}
