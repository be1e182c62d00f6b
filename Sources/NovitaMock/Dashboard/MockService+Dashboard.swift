import ImageCodecs
import MicroHTTP

/// The dashboard `GET /__mock/ui` (docs/control-plane.md "The dashboard"): one page whose files
/// are compiled in (`DashboardAssets`, made by scripts/generate-ui from ui/). The page holds no
/// data, so it and its files are served without the admin token; everything it shows comes from
/// the control-plane calls, which it makes with the token the user gives it.
extension MockService {
    /// The prefix of the page's own files, `/__mock/ui/app.js` and so on.
    static let dashboardPrefix = "/__mock/ui/"

    /// Whether a path is the page or one of its files (open even with `--admin-token`).
    static func isDashboardAsset(_ path: String) -> Bool {
        path == "/__mock/ui" || path.hasPrefix(dashboardPrefix)
    }

    /// `GET /__mock/ui` (the page) and `GET /__mock/ui/{file}`.
    func dashboardAsset(_ request: HTTPRequest) -> HTTPReply {
        var name =
            request.path.hasPrefix(Self.dashboardPrefix)
            ? String(request.path.dropFirst(Self.dashboardPrefix.count)) : ""
        if name.isEmpty { name = "index.html" }
        guard let file = DashboardAssets.files.first(where: { $0.name == name }) else {
            return .now(APIError.apiNotFound(request.method, request.path).response)
        }
        let type =
            switch name.split(separator: ".").last {
            case "html": "text/html; charset=utf-8"
            case "js": "text/javascript; charset=utf-8"
            case "css": "text/css; charset=utf-8"
            case "svg": "image/svg+xml"
            default: "text/plain; charset=utf-8"
            }
        let headers: HTTPHeaders = [
            "Content-Type": type,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
            // Every asset comes from this server: nothing loads from anywhere else.
            "Content-Security-Policy":
                "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
                + "frame-ancestors 'none'; base-uri 'none'",
        ]
        let body = Array((file.text + "\n").utf8)
        return .now(HTTPResponse(status: 200, headers: headers, body: request.method == "HEAD" ? [] : body))
    }

    /// What a finished task produced, for the dashboard to fetch through `taskOutput`:
    /// `[{"kind": "image"|"video", "index": i, "type": "png"|"mp4"|…}]` (empty until it succeeds).
    func dashboardOutputs(_ snapshot: TaskSnapshot) -> JSONValue {
        guard snapshot.status == .succeed else { return [] }
        let parameters = snapshot.record.parameters
        if let video = parameters.video {
            return [["kind": "video", "index": 0, "type": .string(video.container.rawValue)]]
        }
        return .array(
            (0..<parameters.imageNum).map {
                ["kind": "image", "index": .number(JSONNumber($0)), "type": .string(parameters.format.rawValue)]
            })
    }

    /// `GET /__mock/tasks/{id}/output/{index}`: a succeeded task's image (or its clip, index 0),
    /// the bytes its signed URL serves. Through the control plane, so the dashboard's previews
    /// never appear in the journal, never meet a fault rule, and do not expire with the URL.
    /// `segments`: the path's (`taskPathSegments`).
    func taskOutput(_ request: HTTPRequest, segments parts: [Substring]) -> HTTPReply {
        guard parts.count == 3, parts[1] == "output", let index = Int(parts[2]), index >= 0 else {
            return .now(APIError.apiNotFound(request.method, request.path).response)
        }
        let id = String(parts[0])
        guard let snapshot = store.snapshot(id: id) else { return .now(APIError.taskNotFound(id).response) }
        let parameters = snapshot.record.parameters
        let count = parameters.video == nil ? parameters.imageNum : 1
        guard snapshot.status == .succeed, index < count else {
            return .now(
                APIError(
                    status: 404, reason: "OUTPUT_NOT_FOUND",
                    message:
                        "task \(id.prefix(80)) has no output \(index): it is \(snapshot.status.rawValue) with \(snapshot.status == .succeed ? count : 0) outputs",
                    metadata: [("task_id", String(id.prefix(80)))]
                ).response)
        }
        let now = clock.nowMs()
        let url =
            if let video = parameters.video {
                signer.videoURL(base: "", taskID: id, container: video.container, issuedAtMs: now)
            } else {
                signer.url(base: "", taskID: id, index: index, format: parameters.format, issuedAtMs: now)
            }
        let (path, queryText) = url.split(separator: "?", maxSplits: 1).map(String.init).pair
        let query = queryText.split(separator: "&").map { pair -> (name: String, value: String) in
            let halves = pair.split(separator: "=", maxSplits: 1).map(String.init)
            return (halves[0], halves.count > 1 ? halves[1] : "")
        }
        let signed = HTTPRequest(method: request.method, path: path, query: query, headers: request.headers)
        return parameters.video == nil ? media.downloadImage(signed) : media.downloadVideo(signed)
    }
}

extension Array where Element == String {
    /// The first two elements (the second empty when missing).
    fileprivate var pair: (String, String) { (first ?? "", count > 1 ? self[1] : "") }
}
