// Harness (a): the JSON parsing + validation path of the three submit endpoints.
// Input: byte 0 chooses endpoint and headers, the rest is the request body.
//   bits 0-1: 0 img2img, 1 txt2img, 2 upscale, 3 img2img
//   bit 2: X-Mock-Strict: true      bit 3: Content-Type with "; charset=utf-8"
//   bit 4: bare "Authorization: k" (the JS SDK's form)
// Oracle: never a 5xx, and every JSON error body carries its own status as "code".
import FuzzSupport

#if canImport(Glibc)
    import Glibc
#endif

let service = Fuzz.makeService(maxTasks: 32)
nonisolated(unsafe) var runs = 0
/// Outside a network namespace (scripts/fuzz runs harnesses in one), bodies that could start a
/// webhook delivery to a fuzzed address are skipped: this harness must not send traffic anywhere.
let outboundAllowed = getenv("FUZZ_NETNS").map { String(cString: $0) == "1" } ?? false

@_cdecl("fuzz_api_main")
public func harnessMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzTestOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let selector = bytes[0]
    let body = Array(bytes[1...])
    if !outboundAllowed, body.contains(subsequence: Array("webhook".utf8)) { return -1 }
    // Test-mode tasks finish at once; with custom storage they render every image: skip that
    // (costly, and it writes files) — the validator still sees such bodies without test_mode.
    if body.contains(subsequence: Array("test_mode".utf8)), body.contains(subsequence: Array("aws_s3".utf8)) {
        return -1
    }
    let path: String
    switch selector & 3 {
    case 1: path = "/v3/async/txt2img"
    case 2: path = "/v3/async/upscale"
    default: path = "/v3/async/img2img"
    }
    var headers = Fuzz.apiHeaders
    if selector & 4 != 0 { headers.set("X-Mock-Strict", "true") }
    if selector & 8 != 0 { headers.set("Content-Type", "application/json; charset=utf-8") }
    if selector & 16 != 0 { headers.set("Authorization", Fuzz.apiKey) }
    let response = Fuzz.send(service, "POST", path, headers: headers, body: body)
    Fuzz.expectNoServerError(response, "POST \(path)")
    if response.status == 200, !Fuzz.bodyText(response).hasPrefix("{\"task_id\":\"") {
        Fuzz.fail("POST \(path) answered 200 without a task id: \(Fuzz.bodyText(response))")
    }
    runs += 1
    if response.status == 429 || runs % 256 == 0 {
        let reset = Fuzz.send(service, "POST", "/__mock/reset")
        if reset.status != 200 { Fuzz.fail("reset answered \(reset.status)") }
    }
    return 0
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        var i = 0
        while i + needle.count <= count {
            if self[i] == needle[0], Array(self[i..<(i + needle.count)]) == needle { return true }
            i += 1
        }
        return false
    }
}
