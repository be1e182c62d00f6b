// Harness (a''): control-plane bodies and paths. Input: byte 0 chooses the call, the rest is
// its body (or path tail):
//   0 POST /__mock/faults <body>, then one API request the rule may hit, then DELETE the rules
//   1 POST /__mock/clock <body> (then back to virtual mode)
//   2 POST /__mock/tasks/<id>/fail <body>        3 POST /__mock/tasks/<rest>
//   4 DELETE /__mock/faults/<rest>                5 POST /__mock/reset?api_key=<rest>
// Oracle: the control call itself never answers 5xx; an API request under an injected rule may
// (that is the rule's point) but must not crash.
import FuzzSupport

let service = Fuzz.makeService(maxTasks: 64)
nonisolated(unsafe) var taskIDs: [String] = []
nonisolated(unsafe) var runs = 0

func freshTasks() {
    _ = Fuzz.send(service, "POST", "/__mock/reset")
    _ = Fuzz.send(service, "POST", "/__mock/clock", body: Array("{\"mode\":\"virtual\"}".utf8))
    taskIDs = [Fuzz.submitTask(service), Fuzz.submitTask(service), Fuzz.submitTask(service)]
    Fuzz.advanceClock(service, milliseconds: 30_000)
    taskIDs.append(Fuzz.submitTask(service))
}

@_cdecl("fuzz_control_main")
public func harnessMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    Fuzz.runDriver(argc, argv, fuzzTestOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    if taskIDs.isEmpty || runs % 128 == 0 { freshTasks() }
    runs += 1
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let rest = Array(bytes[1...])
    let text = String(decoding: rest, as: UTF8.self)
    let json: HTTPHeaders = ["Content-Type": "application/json"]
    switch bytes[0] % 6 {
    case 0:
        let added = Fuzz.send(service, "POST", "/__mock/faults", headers: json, body: rest)
        Fuzz.expectNoServerError(added, "POST /__mock/faults")
        if added.status == 201 {
            for (method, path, query, body) in [
                ("GET", "/v3/async/task-result", [("task_id", taskIDs[0])], [UInt8]()),
                ("POST", "/v3/async/img2img", [], Fuzz.img2imgBody()),
            ] {
                var headers = Fuzz.apiHeaders
                headers.set("X-Test-Id", "t-42")
                let hit = Fuzz.send(service, method, path, query: query, headers: headers, body: body)
                guard hit.dropConnection || (100...599).contains(hit.status) else {
                    Fuzz.fail("\(method) \(path) under an injected rule answered \(hit.status)")
                }
                if hit.status >= 500, hit.headers["Content-Type"] != "application/json" {
                    Fuzz.fail("an injected \(hit.status) is not in the Novita envelope")
                }
            }
            let listed = Fuzz.send(service, "GET", "/__mock/faults")
            Fuzz.expectNoServerError(listed, "GET /__mock/faults")
            _ = Fuzz.send(service, "DELETE", "/__mock/faults")
        }
        if Fuzz.send(service, "GET", "/__mock/faults").status != 200 { Fuzz.fail("GET /__mock/faults") }
    case 1:
        let response = Fuzz.send(service, "POST", "/__mock/clock", headers: json, body: rest)
        Fuzz.expectNoServerError(response, "POST /__mock/clock")
        let back = Fuzz.send(service, "POST", "/__mock/clock", body: Array("{\"mode\":\"virtual\"}".utf8))
        Fuzz.expectNoServerError(back, "POST /__mock/clock back to virtual")
    case 2:
        let id = taskIDs[Int(size) % taskIDs.count]
        let response = Fuzz.send(service, "POST", "/__mock/tasks/\(id)/fail", headers: json, body: rest)
        Fuzz.expectNoServerError(response, "POST /__mock/tasks/…/fail")
    case 3:
        let response = Fuzz.send(service, "POST", "/__mock/tasks/" + text, headers: json)
        Fuzz.expectNoServerError(response, "POST /__mock/tasks/<fuzzed>")
        let inspected = Fuzz.send(service, "GET", "/__mock/tasks/" + text)
        Fuzz.expectNoServerError(inspected, "GET /__mock/tasks/<fuzzed>")
    case 4:
        let response = Fuzz.send(service, "DELETE", "/__mock/faults/" + text)
        Fuzz.expectNoServerError(response, "DELETE /__mock/faults/<fuzzed>")
    default:
        let response = Fuzz.send(service, "POST", "/__mock/reset", query: [("api_key", text)])
        Fuzz.expectNoServerError(response, "POST /__mock/reset?api_key=<fuzzed>")
    }
    return 0
}
