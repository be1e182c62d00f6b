import MicroHTTP
import NovitaMock

extension Fuzz {
    /// A valid img2img body with a tiny input image (the harnesses' own tasks).
    public static func img2imgBody(width: Int = 128, height: Int = 128, imageNum: Int = 1, format: String = "png")
        -> [UInt8]
    {
        Array(
            """
            {"extra":{"response_image_type":"\(format)"},"request":{"model_name":"m","image_base64":"\(tinyPNGBase64)",\
            "prompt":"fuzz","width":\(width),"height":\(height),"image_num":\(imageNum),"steps":1,"seed":7,\
            "guidance_scale":7.5,"sampler_name":"Euler a"}}
            """.utf8)
    }

    /// Submits a task and returns its id (traps when the service refuses a valid body).
    @discardableResult
    public static func submitTask(
        _ service: MockService, body: [UInt8]? = nil, extraHeaders: [(String, String)] = []
    ) -> String {
        var headers = apiHeaders
        for (name, value) in extraHeaders { headers.set(name, value) }
        let response = send(service, "POST", "/v3/async/img2img", headers: headers, body: body ?? img2imgBody())
        let text = bodyText(response)
        guard response.status == 200, let range = text.firstRange(of: "\"task_id\":\"") else {
            fail("setup submit answered \(response.status): \(text)")
        }
        return String(text[range.upperBound...].prefix(36))
    }

    /// Moves the service's virtual clock on.
    public static func advanceClock(_ service: MockService, milliseconds: Int) {
        let response = send(
            service, "POST", "/__mock/clock", headers: ["Content-Type": "application/json"],
            body: Array("{\"advance_ms\":\(milliseconds)}".utf8))
        guard response.status == 200 else { fail("clock advance answered \(response.status): \(bodyText(response))") }
    }

    /// The `image_url`s of a finished task.
    public static func imageURLs(_ service: MockService, taskID: String) -> [String] {
        let response = send(
            service, "GET", "/v3/async/task-result", query: [("task_id", taskID)], headers: apiHeaders)
        let text = bodyText(response, limit: 1 << 20)
        var urls: [String] = []
        var rest = Substring(text)
        while let start = rest.firstRange(of: "\"image_url\":\"") {
            let after = rest[start.upperBound...]
            guard let end = after.firstIndex(of: "\"") else { break }
            urls.append(String(after[..<end]).split(separator: "\\", omittingEmptySubsequences: false).joined())
            rest = after[end...]
        }
        return urls
    }

    /// A URL split into path and query pairs (no percent-decoding: the signer's values need none).
    public static func split(url: String) -> (path: String, query: [(name: String, value: String)]) {
        var text = Substring(url)
        if let scheme = text.firstRange(of: "://") {
            text = text[scheme.upperBound...]
            text = text[(text.firstIndex(of: "/") ?? text.endIndex)...]
        }
        let parts = text.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query = parts.count > 1 ? queryPairs(Array(parts[1].utf8)[...], separator: UInt8(ascii: "&")) : []
        return (String(parts[0]), query)
    }

    /// `a=b&c=d` → pairs, the way the server hands them to handlers (already decoded).
    public static func queryPairs(_ bytes: ArraySlice<UInt8>, separator: UInt8) -> [(name: String, value: String)] {
        bytes.split(separator: separator, omittingEmptySubsequences: true).map { pair in
            let kv = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            return (
                String(decoding: kv[0], as: UTF8.self), kv.count > 1 ? String(decoding: kv[1], as: UTF8.self) : ""
            )
        }
    }
}
