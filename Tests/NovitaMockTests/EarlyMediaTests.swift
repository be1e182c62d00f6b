import Foundation
import MicroHTTP
import Testing

@testable import NovitaMock

/// Downloads of a cached image answered from the request head (`CachedMediaResponder`): the same
/// bytes, headers, journal entry and metrics as the pipeline's answer; and every download whose
/// answer the pipeline would make differently is left to the pipeline.
@Suite("Cached downloads answered from the request head")
struct EarlyMediaTests {
    static let route = "/faas-output-image/prod/*"

    /// A live server on the virtual clock (a URL's `max-age` changes only when the test moves it),
    /// a finished task's image URL, and the pipeline's full answer to its second download (the
    /// first renders; the second, from the cache, is the one kept).
    static func cachedImage() async throws -> (LiveServer, url: String, answer: LiveServer.Reply) {
        let live = try LiveServer {
            $0.speed = 0
            $0.clockMode = .virtual
        }
        let submitted = try await live.submit(LiveFixtures.body(["width": 128, "height": 128]))
        let id = try #require(submitted.json?["task_id"] as? String)
        let finished = try await live.waitFinished(id)
        let images = try #require(finished["images"] as? [[String: Any]])
        let url = try #require(images.first?["image_url"] as? String)
        let rendered = try await live.send("GET", url, key: nil)
        #expect(rendered.status == 200)
        let answer = try await live.send("GET", url, key: nil)
        #expect(answer.body == rendered.body)
        return (live, url, answer)
    }

    static func downloads(_ live: LiveServer, status: Int = 200) async throws -> Int {
        let text = String(decoding: try await live.control("GET", "/__mock/metrics").body, as: UTF8.self)
        let series = "novita_mock_http_requests_total{route=\"\(route)\",method=\"GET\",status=\"\(status)\"} "
        let line = text.split(separator: "\n").first { $0.hasPrefix(series) }
        return line.flatMap { Int($0.dropFirst(series.count)) } ?? 0
    }

    static func journal(_ live: LiveServer) async throws -> [[String: Any]] {
        let all = try #require(
            try await live.control("GET", "/__mock/requests?limit=1000").json?["requests"] as? [[String: Any]])
        return all.filter { ($0["path"] as? String)?.hasPrefix("/faas-output-image/") == true }
    }

    @Test func answersWithThePipelinesBytesHeadersJournalAndMetrics() async throws {
        let (live, url, answer) = try await Self.cachedImage()
        let pipelineEntry = try #require(try await Self.journal(live).last)
        let readsBefore = live.service.store.recordsRead
        let countBefore = try await Self.downloads(live)
        for _ in 0..<3 {
            let reply = try await live.send("GET", url, key: nil)
            #expect(reply.status == 200)
            #expect(reply.body == answer.body)
            for name in ["Content-Type", "ETag", "Last-Modified", "Cache-Control", "Accept-Ranges", "Content-Length"] {
                #expect(reply.header(name) != nil && reply.header(name) == answer.header(name), "\(name) differs")
            }
        }
        // The store was not read: the head's answer, not the pipeline's.
        #expect(live.service.store.recordsRead == readsBefore)
        #expect(try await Self.downloads(live) == countBefore + 3)
        let early = try #require(try await Self.journal(live).last)
        try EarlyPollTests.expectSameJournalFacts(early, pipelineEntry)
        // A key and a test id, when sent, are journaled as the pipeline journals them.
        _ = try await live.send("GET", url, key: "media-key", headers: ["X-Test-Id": "media-7"])
        let tagged = try #require(try await Self.journal(live).last)
        #expect(tagged["test_id"] as? String == "media-7")
        #expect((tagged["api_key"] as? String)?.isEmpty == false)
        #expect(live.service.store.recordsRead == readsBefore)
    }

    @Test func whatThePipelineAnswersOtherwiseGoesThroughIt() async throws {
        let (live, url, answer) = try await Self.cachedImage()
        let etag = try #require(answer.header("ETag"))
        // A range, a conditional request, HEAD: the pipeline's answers.
        let part = try await live.send("GET", url, key: nil, headers: ["Range": "bytes=0-9"])
        #expect(part.status == 206 && part.body == answer.body.prefix(10))
        #expect(try await live.send("GET", url, key: nil, headers: ["If-None-Match": etag]).status == 304)
        let head = try await live.send("HEAD", url, key: nil)
        #expect(head.status == 200 && head.body.isEmpty)
        // Another date under the same signature: the signature does not match it.
        let (base, query) = (String(url.split(separator: "?")[0]), String(url.split(separator: "?")[1]))
        let otherDate = query.replacingOccurrences(of: "X-Amz-Date=", with: "X-Amz-Date=1")
        let forged = try await live.send("GET", base + "?" + otherDate, key: nil)
        #expect(forged.status == 403 && String(decoding: forged.body, as: UTF8.self).contains("SignatureDoesNotMatch"))
        // A fault rule on downloads, while it is in force.
        let fault = try await live.control(
            "POST", "/__mock/faults", ["route": Self.route, "status": 503, "times": 1])
        #expect(fault.status == 200 || fault.status == 201)
        #expect(try await live.send("GET", url, key: nil).status == 503)
        #expect(try await live.send("GET", url, key: nil).body == answer.body)
        // A second later the URL has a second less to live: the pipeline says so once, then the
        // new answer is kept.
        _ = try await live.control("POST", "/__mock/clock", ["advance_ms": 1_000])
        let reads = live.service.store.recordsRead
        let later = try await live.send("GET", url, key: nil)
        let again = try await live.send("GET", url, key: nil)
        #expect(later.header("Cache-Control") != answer.header("Cache-Control"))
        #expect(again.header("Cache-Control") == later.header("Cache-Control"))
        #expect(again.body == answer.body)
        #expect(live.service.store.recordsRead == reads + 1)
        // Past the URL's expiry: refused.
        _ = try await live.control("POST", "/__mock/clock", ["advance_ms": 8 * 86_400_000])
        let expired = try await live.send("GET", url, key: nil)
        #expect(expired.status == 403 && String(decoding: expired.body, as: UTF8.self).contains("AccessDenied"))
    }

    @Test func aCachedClipIsAnsweredFromTheHeadToo() async throws {
        let live = try LiveServer {
            $0.speed = 0
            $0.clockMode = .virtual
        }
        let body: [String: Any] = [
            "model_name": "darkSushiMixMix_225D_64380.safetensors", "width": 256, "height": 256, "steps": 20,
            "seed": 5, "prompts": [["prompt": "a lighthouse", "frames": 8]],
        ]
        let submitted = try await live.send(
            "POST", "/v3/async/txt2video", body: try JSONSerialization.data(withJSONObject: body))
        let id = try #require(submitted.json?["task_id"] as? String)
        let finished = try await live.waitFinished(id)
        let url = try #require((finished["videos"] as? [[String: Any]])?.first?["video_url"] as? String)
        let encoded = try await live.send("GET", url, key: nil)
        let cached = try await live.send("GET", url, key: nil)
        #expect(cached.status == 200 && cached.body == encoded.body && cached.body.count > 1000)
        let readsBefore = live.service.store.recordsRead
        for _ in 0..<2 {
            let reply = try await live.send("GET", url, key: nil)
            #expect(reply.body == cached.body)
            #expect(reply.header("Content-Type") == cached.header("Content-Type"))
        }
        #expect(live.service.store.recordsRead == readsBefore)
        let text = String(decoding: try await live.control("GET", "/__mock/metrics").body, as: UTF8.self)
        #expect(
            text.contains(
                #"novita_mock_http_requests_total{route="/faas-output-video/prod/*",method="GET",status="200"} 4"#))
    }

    @Test func aResetRemovesTheImage() async throws {
        let (live, url, _) = try await Self.cachedImage()
        #expect(try await live.send("GET", url, key: nil).status == 200)
        _ = try await live.control("POST", "/__mock/reset")
        let gone = try await live.send("GET", url, key: nil)
        #expect(gone.status == 404 && String(decoding: gone.body, as: UTF8.self).contains("NoSuchKey"))
    }
}
