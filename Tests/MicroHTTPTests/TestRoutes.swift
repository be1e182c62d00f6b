import Glibc
import MicroHTTP

/// The handler the live tests run against: one small route per behaviour under test.
enum TestRoutes {
    static let pattern = SharedBytes((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) })

    static func handle(_ request: HTTPRequest) -> HTTPReply {
        if request.bodyTooLarge {
            return .now(HTTPResponse(status: 413, body: Array("too large".utf8)))
        }
        switch request.path {
        case "/echo":
            var headers: HTTPHeaders = ["X-Method": request.method]
            headers.add("X-Remote", request.remoteAddress)
            return .now(HTTPResponse(status: 200, headers: headers, body: request.body))
        case "/query":
            let lines = request.query.map { "\($0.name)=\($0.value)\n" }.joined()
            return .now(HTTPResponse(status: 200, body: Array((request.path + "\n" + lines).utf8)))
        case "/header":
            let value = request.headers["x-custom-header"] ?? "missing"
            return .now(HTTPResponse(status: 200, headers: ["X-Seen": value], body: Array(value.utf8)))
        case "/later":
            return .later {
                usleep(100_000)
                return HTTPResponse(status: 201, body: Array("later".utf8))
            }
        case "/after":
            return .after(milliseconds: 200, .now(HTTPResponse(status: 202, body: Array("after".utf8))))
        case "/after-chain":
            return .after(milliseconds: 50, .later { HTTPResponse(status: 200, body: Array("chain".utf8)) })
        case "/shared":
            return .now(HTTPResponse(status: 200, body: .shared(pattern, range: 0..<pattern.count)))
        case "/shared-range":
            return .now(
                HTTPResponse(
                    status: 206, headers: ["Content-Range": "bytes 1000-1999/\(pattern.count)"],
                    body: .shared(pattern, range: 1000..<2000)))
        case "/slow":
            let bytes = Int(request.queryValue("bytes") ?? "6000") ?? 6000
            return .now(
                HTTPResponse(
                    status: 200, body: .bytes(Array(repeating: UInt8(ascii: "s"), count: bytes)),
                    bodyBytesPerSecond: Int(request.queryValue("rate") ?? "20000") ?? 20000))
        case "/drop":
            return .now(.drop)
        case "/close":
            return .now(HTTPResponse(status: 200, body: .bytes(Array("bye".utf8)), closeConnection: true))
        default:
            if request.path.hasPrefix("/status/"), let status = Int(request.path.dropFirst("/status/".count)) {
                return .now(HTTPResponse(status: status, body: Array("status \(status)".utf8)))
            }
            return .now(HTTPResponse(status: 404, body: Array("not found".utf8)))
        }
    }
}
