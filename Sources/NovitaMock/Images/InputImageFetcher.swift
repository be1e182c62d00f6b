import ImageCodecs
import OutboundHTTP

/// Fetches an input image given by URL (docs/contract.md §12): `http(s)` through the mock's own
/// outbound client, `data:image/…;base64,` decoded in place, at most `maxBytes`, and only when
/// the bytes are a PNG, JPEG or WebP. Blocking: callers run it on a blocking-work pool.
struct InputImageFetcher: Sendable {
    let client: OutboundHTTPClient
    let maxBytes: Int
    let timeoutMs: Int

    /// `--max-fetch-mb`'s default.
    static let defaultMaxBytes = 30 * 1024 * 1024

    init(maxBytes: Int = defaultMaxBytes, timeoutMs: Int = 30_000) {
        self.maxBytes = maxBytes
        self.timeoutMs = timeoutMs
        // One byte over the limit tells a cut body from one that fits exactly.
        client = OutboundHTTPClient(maxResponseBodyBytes: maxBytes + 1)
    }

    /// The image's bytes and header, or why not, in the words of a task's `reason`.
    func fetch(_ url: String) -> Result<(bytes: [UInt8], header: ImageHeader), Failure> {
        let bytes: [UInt8]
        switch fetchBytes(url) {
        case .failure(let failure): return .failure(failure)
        case .success(let body): bytes = body
        }
        do {
            return .success((bytes, try ImageInspector.inspect(bytes, maxPixels: 16_777_216)))
        } catch {
            return .failure(Failure(url: url, why: "not a PNG, JPEG or WebP image within 16 megapixels"))
        }
    }

    /// The body a URL names, whatever it is: `http(s)` fetched, `data:…;base64,` decoded, at
    /// most `maxBytes`; or why not.
    func fetchBytes(_ url: String) -> Result<[UInt8], Failure> {
        if url.hasPrefix("data:") {
            guard let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else {
                return .failure(Failure(url: url, why: "a data URL must be base64"))
            }
            return decodeBase64(url[url.index(after: comma)...], url: url)
        }
        switch client.send(OutboundRequest(method: "GET", url: url, timeoutMs: timeoutMs)) {
        case .failure(let error):
            return .failure(Failure(url: url, why: error.description))
        case .success(let response):
            guard response.status == 200 else {
                return .failure(Failure(url: url, why: "HTTP \(response.status)"))
            }
            guard response.body.count <= maxBytes else {
                return .failure(Failure(url: url, why: "larger than \(maxBytes) bytes"))
            }
            return .success(response.body)
        }
    }

    /// Bare base64 (a field that takes it beside URLs), decoded with the same bound.
    func decodeBase64(_ text: Substring, url: String) -> Result<[UInt8], Failure> {
        do {
            guard let decoded = try Base64.decode(text.utf8, maxBytes: maxBytes) else {
                return .failure(Failure(url: url, why: "larger than \(maxBytes) bytes"))
            }
            return .success(decoded)
        } catch {
            return .failure(Failure(url: url, why: "invalid base64"))
        }
    }

    /// Why a URL gave no image: `failed to fetch <url>: <why>`.
    struct Failure: Error, Sendable {
        let url: String
        let why: String

        init(url: String, why: String) {
            self.url = url
            self.why = why
            whole = nil
        }

        /// A reason already worded (a gathered input's).
        init(reason: String) {
            url = ""
            why = reason
            whole = reason
        }

        private let whole: String?

        /// The `url` of a failure of bare base64 (the value itself is not worth repeating).
        static let bareBase64 = "base64"

        var reason: String {
            if let whole { return whole }
            return
                "failed to fetch \(url.hasPrefix("data:") ? "data URL" : url == Self.bareBase64 ? "base64 value" : url): \(why)"
        }
    }
}
