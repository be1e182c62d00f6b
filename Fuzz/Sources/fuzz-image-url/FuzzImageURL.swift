// Harness (c): image URL verification and serving under /faas-output-image/prod/.
// Input: byte 0 chooses the mode (bit 7: HEAD instead of GET), the rest is split on '\n':
//   0 raw: <path tail>\n<query>         — unsigned, what anyone can send
//   1 a real signed URL + headers: <Range>\n<If-None-Match>
//   2 signed by the harness (it knows the secret): <path tail>\n<X-Amz-Date>\n<X-Amz-Expires>
//     — reaches expiry and existence checks with values the server never issues
//   3 a real signed URL with one query value replaced: <name>\n<value>
// Oracle: never a 5xx; 200/206 bodies have the Content-Length range they announce.
import FuzzSupport

let service = Fuzz.makeService(maxTasks: 16)
let urls: [(path: String, query: [(name: String, value: String)])] = {
    let png = Fuzz.submitTask(service, body: Fuzz.img2imgBody(imageNum: 2))
    let jpeg = Fuzz.submitTask(service, body: Fuzz.img2imgBody(format: "jpeg"))
    let webp = Fuzz.submitTask(service, body: Fuzz.img2imgBody(format: "webp"))
    _ = Fuzz.submitTask(service, extraHeaders: [("X-Mock-Outcome", "fail")])
    Fuzz.advanceClock(service, milliseconds: 10_000)
    let all = [png, jpeg, webp].flatMap { Fuzz.imageURLs(service, taskID: $0) }.map(Fuzz.split(url:))
    guard all.count == 4 else { Fuzz.fail("setup found \(all.count) image URLs") }
    return all
}()

@_cdecl("fuzz_image_url_main")
public func harnessMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzTestOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let method = bytes[0] & 0x80 != 0 ? "HEAD" : "GET"
    let mode = bytes[0] & 0x7F
    let target = urls[Int(mode >> 2) % urls.count]
    var headers: HTTPHeaders = [:]
    let path: String
    var query: [(name: String, value: String)]
    switch mode % 4 {
    case 0:
        let f = Fuzz.fields(bytes[1...], count: 2)
        path = "/faas-output-image/prod/" + f[0]
        query = Fuzz.queryPairs(Array((f.count > 1 ? f[1] : "").utf8)[...], separator: UInt8(ascii: "&"))
    case 1:
        let f = Fuzz.fields(bytes[1...], count: 2)
        (path, query) = target
        headers.set("Range", f[0])
        if f.count > 1 { headers.set("If-None-Match", f[1]) }
    case 2:
        let f = Fuzz.fields(bytes[1...], count: 3)
        path = "/faas-output-image/prod/" + f[0]
        let date = f.count > 1 ? f[1] : ""
        let expiresText = f.count > 2 ? f[2] : "3600"
        let signature = Int64(expiresText).map { Fuzz.sign(path: path, amzDate: date, expires: $0) } ?? "00"
        query = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Date", date), ("X-Amz-Expires", expiresText),
            ("X-Amz-SignedHeaders", "host"), ("X-Amz-Signature", signature),
        ]
    default:
        let f = Fuzz.fields(bytes[1...], count: 2)
        (path, query) = target
        let name = f[0]
        let value = f.count > 1 ? f[1] : ""
        if let i = query.firstIndex(where: { $0.name == name }) {
            query[i].value = value
        } else {
            query.insert((name, value), at: Int(size) % (query.count + 1))
        }
    }
    let response = Fuzz.send(service, method, path, query: query, headers: headers)
    Fuzz.expectNoServerError(response, "\(method) \(path)")
    if response.status == 206 {
        guard let contentRange = response.headers["Content-Range"], contentRange.hasPrefix("bytes ") else {
            Fuzz.fail("206 without Content-Range")
        }
        let numbers = contentRange.dropFirst(6).split(whereSeparator: { $0 == "-" || $0 == "/" }).compactMap {
            Int($0)
        }
        guard numbers.count == 3, numbers[0] <= numbers[1], numbers[1] < numbers[2],
            response.body.count == numbers[1] - numbers[0] + 1
        else {
            Fuzz.fail("206 with Content-Range \(contentRange) and \(response.body.count) body bytes")
        }
    }
    return 0
}
