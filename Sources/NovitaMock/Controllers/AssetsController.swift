import ImageCodecs
import MicroHTTP

/// The assets host (docs/contract.md §13.1): `PUT /image` and `PUT /video` take raw bytes and
/// answer `{"assets_id": "…"}`, an id the native endpoints accept in their `…_assets_ids` fields.
struct AssetsController: Sendable {
    /// What the path says the bytes are.
    enum Kind: String, Sendable {
        case image, video
    }

    let assets: AssetStore
    let authenticator: Authenticator

    /// Videos may be large (video-merge-face takes up to 100 MB); the body limit of the server
    /// (`--max-body-mb`) applies first.
    func upload(_ request: HTTPRequest, kind: Kind) -> HTTPReply {
        // The Python SDK's upload sends no key: such uploads are shared by every key. A key that
        // is sent must be a valid one.
        var owner = AssetStore.sharedOwner
        if Authenticator.key(from: request) != nil {
            do throws(APIError) {
                owner = try authenticator.tenant(of: request)
            } catch {
                return .now(error.response)
            }
        }
        let body = request.body
        guard !body.isEmpty else {
            return .now(
                APIError.violations([
                    Violation(path: "body", expected: "the raw bytes of the \(kind.rawValue)", actual: "an empty body")
                ]).response)
        }
        if kind == .image {
            // Only the header: cheap enough for a poll thread.
            guard (try? ImageInspector.inspect(body, maxPixels: 16_777_216)) != nil else {
                return .now(
                    APIError.violations([
                        Violation(
                            path: "body", expected: "a PNG, JPEG or WebP image within 16 megapixels",
                            actual: "\(body.count) bytes that are not one")
                    ]).response)
            }
        }
        let (store, uploader) = (assets, owner)
        let work = { @Sendable () -> HTTPResponse in
            do throws(AssetStore.Failure) {
                let id = try store.put(body, owner: uploader)
                return .json(["assets_id": .string(id)])
            } catch {
                switch error {
                case .full(let budget):
                    return APIError(
                        status: 413, reason: "REQUEST_ENTITY_TOO_LARGE",
                        message:
                            "the assets host keeps at most \(budget) bytes in memory; start the mock with --state-dir to keep more"
                    ).response
                case .file(let failure):
                    return APIError(
                        status: 500, reason: "INTERNAL_SERVER_ERROR",
                        message: "the state directory refused the asset: \(failure.description)"
                    ).response
                }
            }
        }
        guard store.directory != nil else { return .now(work()) }
        // The fsync before the answer blocks: a blocking-work thread, never a poll thread.
        return .deferred { deliver in BlockingWorkPool.stateWrites.submit { deliver(.now(work())) } }
    }
}
