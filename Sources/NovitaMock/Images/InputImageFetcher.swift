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
        if url.hasPrefix("data:") {
            guard let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else {
                return .failure(Failure(url: url, why: "a data URL must be base64"))
            }
            do {
                guard let decoded = try Base64.decode(url[url.index(after: comma)...].utf8, maxBytes: maxBytes) else {
                    return .failure(Failure(url: url, why: "larger than \(maxBytes) bytes"))
                }
                bytes = decoded
            } catch {
                return .failure(Failure(url: url, why: "invalid base64"))
            }
        } else {
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
                bytes = response.body
            }
        }
        do {
            return .success((bytes, try ImageInspector.inspect(bytes, maxPixels: 16_777_216)))
        } catch {
            return .failure(Failure(url: url, why: "not a PNG, JPEG or WebP image within 16 megapixels"))
        }
    }

    /// Why a URL gave no image: `failed to fetch <url>: <why>`.
    struct Failure: Error, Sendable {
        let url: String
        let why: String

        var reason: String { "failed to fetch \(url.hasPrefix("data:") ? "data URL" : url): \(why)" }
    }
}
