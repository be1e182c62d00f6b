// Harness (a'): query strings of the GET routes (task-result, the model catalog, the control
// plane's listings). Input: byte 0 chooses the route, the rest is `name=value&name=value…` as
// the server hands it over (already percent-decoded). A value `@N` stands for the id of the
// harness's task N (some QUEUED, some PROCESSING, some SUCCEED or FAILED), so fuzzing reaches
// found tasks too.
import FuzzSupport

let service = Fuzz.makeService(maxTasks: 64)
let taskIDs: [String] = {
    var ids: [String] = []
    ids.append(Fuzz.submitTask(service))
    ids.append(Fuzz.submitTask(service, extraHeaders: [("X-Mock-Outcome", "fail:out of memory")]))
    ids.append(Fuzz.submitTask(service, body: Fuzz.img2imgBody(imageNum: 3, format: "webp")))
    Fuzz.advanceClock(service, milliseconds: 60_000)
    ids.append(Fuzz.submitTask(service, extraHeaders: [("X-Mock-Duration-Ms", "100000")]))
    Fuzz.advanceClock(service, milliseconds: 500)
    ids.append(Fuzz.submitTask(service))
    return ids
}()

let routes = [
    "/v3/async/task-result", "/v3/model", "/__mock/tasks", "/__mock/requests", "/__mock/webhooks", "/__mock/tasks/",
    "/__mock/metrics", "/__mock/clock", "/__mock/faults",
]

@_cdecl("fuzz_query_main")
public func harnessMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzTestOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var route = routes[Int(bytes[0]) % routes.count]
    let query = Fuzz.queryPairs(bytes[1...], separator: UInt8(ascii: "&")).map { pair in
        (name: pair.name, value: substitute(pair.value))
    }
    if route == "/__mock/tasks/" {
        route += query.first.map { $0.name.isEmpty ? $0.value : substitute($0.name) } ?? ""
    }
    let response = Fuzz.send(service, "GET", route, query: query, headers: Fuzz.apiHeaders)
    Fuzz.expectNoServerError(response, "GET \(route)")
    return 0
}

func substitute(_ value: String) -> String {
    guard value.hasPrefix("@"), let n = Int(value.dropFirst()), n >= 0 else { return value }
    return taskIDs[n % taskIDs.count]
}
