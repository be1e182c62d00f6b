import Foundation
import ImageCodecs
import Testing

@testable import NovitaMock

@Suite("Image URLs and serving (router level)")
struct ImageServingTests {
    func finishedTask(_ harness: ServiceHarness, _ overrides: [String: JSONValue?] = [:], extra: JSONValue? = nil)
        throws -> [String]
    {
        let id = try harness.submitOK(Fixtures.body(overrides, extra: extra))
        harness.advance(60_000)
        return harness.imageURLs(id)
    }

    @Test func urlsAreShapedLikePresignedS3URLs() throws {
        let harness = ServiceHarness()
        let url = try #require(try finishedTask(harness).first)
        let pattern =
            #"^http://mock\.test:8080/faas-output-image/prod/[0-9a-f-]{36}/[0-9a-f]{32}\.png\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=\d{8}T\d{6}Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=[0-9a-f]{64}$"#
        #expect(url.range(of: pattern, options: .regularExpression) != nil, "\(url)")
    }

    @Test func publicURLReplacesTheHost() throws {
        let harness = ServiceHarness { $0.publicURL = "https://mock.example.com/" }
        let url = try #require(try finishedTask(harness).first)
        #expect(url.hasPrefix("https://mock.example.com/faas-output-image/prod/"))
    }

    @Test(arguments: ImageFormat.allCases)
    func servesTheAskedFormatAtTheAskedSize(_ format: ImageFormat) throws {
        let harness = ServiceHarness()
        let urls = try finishedTask(
            harness, ["width": 384, "height": 256, "image_num": 2],
            extra: ["response_image_type": .string(format.rawValue)])
        #expect(urls.count == 2)
        for url in urls {
            #expect(url.contains(".\(format.fileExtension)?"))
            let reply = harness.download(url)
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "image/\(format.rawValue)")
            let header = try ImageInspector.inspect(reply.bodyBytes, maxPixels: 1 << 24)
            #expect(header.format == format && header.width == 384 && header.height == 256)
            let decoded = try ImageDecoder.decode(reply.bodyBytes, maxPixels: 1 << 24)
            #expect(decoded.width == 384 && decoded.height == 256)
        }
        #expect(harness.download(urls[0]).bodyBytes != harness.download(urls[1]).bodyBytes)
    }

    @Test func tamperedSignatureIs403SignatureDoesNotMatch() throws {
        let harness = ServiceHarness()
        let url = try #require(try finishedTask(harness).first)
        let tampered = String(url.dropLast()) + (url.hasSuffix("0") ? "1" : "0")
        let reply = harness.download(tampered)
        #expect(reply.status == 403)
        #expect(reply.header("Content-Type") == "application/xml")
        let text = String(decoding: reply.bodyBytes, as: UTF8.self)
        #expect(text.contains("<Error><Code>SignatureDoesNotMatch</Code>"))
        let otherPath = url.replacingOccurrences(of: ".png?", with: ".jpeg?")
        #expect(harness.download(otherPath).status == 403)
    }

    @Test func expiredURLIs403AccessDenied() throws {
        let harness = ServiceHarness { $0.taskTTLSeconds = 7200 }
        let url = try #require(try finishedTask(harness).first)
        harness.advance(3_600_000)
        let reply = harness.download(url)
        #expect(reply.status == 403)
        let text = String(decoding: reply.bodyBytes, as: UTF8.self)
        #expect(text.contains("<Code>AccessDenied</Code>") && text.contains("Request has expired"))
    }

    @Test func signedButUnknownObjectIs404NoSuchKey() throws {
        let harness = ServiceHarness()
        let path = ImageURLSigner.path(taskID: "11111111-1111-4111-8111-111111111111", index: 0, format: .png)
        let url = harness.service.signer.url(
            base: "http://x", taskID: "11111111-1111-4111-8111-111111111111", index: 0, format: .png,
            issuedAtMs: harness.service.clock.nowMs())
        #expect(url.contains(path))
        let reply = harness.download(url)
        #expect(reply.status == 404)
        #expect(String(decoding: reply.bodyBytes, as: UTF8.self).contains("<Code>NoSuchKey</Code>"))
    }

    @Test func cachingHeadersRangeAndHead() throws {
        let harness = ServiceHarness()
        let url = try #require(try finishedTask(harness).first)
        let full = harness.download(url)
        let bytes = full.bodyBytes
        #expect(full.header("Accept-Ranges") == "bytes")
        #expect(full.header("ETag")?.hasPrefix("\"") == true)
        #expect(full.header("Last-Modified")?.hasSuffix(" GMT") == true)
        #expect(full.header("Cache-Control")?.hasPrefix("private, max-age=") == true)

        let partial = harness.download(url, headers: [("Range", "bytes=10-19")])
        #expect(partial.status == 206)
        #expect(partial.bodyBytes == Array(bytes[10...19]))
        #expect(partial.header("Content-Range") == "bytes 10-19/\(bytes.count)")
        let suffix = harness.download(url, headers: [("Range", "bytes=-5")])
        #expect(suffix.bodyBytes == Array(bytes.suffix(5)))
        let open = harness.download(url, headers: [("Range", "bytes=\(bytes.count - 3)-")])
        #expect(open.bodyBytes == Array(bytes.suffix(3)))
        let beyond = harness.download(url, headers: [("Range", "bytes=\(bytes.count)-")])
        #expect(beyond.status == 416)
        #expect(beyond.header("Content-Range") == "bytes */\(bytes.count)")

        let notModified = harness.download(url, headers: [("If-None-Match", full.header("ETag")!)])
        #expect(notModified.status == 304)
        let head = harness.download(url, method: "HEAD")
        #expect(head.status == 200)
        #expect(head.header("ETag") == full.header("ETag"))
    }

    @Test func sameRequestSameBytesAndAnEvictedImageRendersIdentically() throws {
        let harness = ServiceHarness { $0.imageCacheBytes = 1 }
        let first = try finishedTask(harness)
        let second = try finishedTask(harness)
        let a = harness.download(first[0]).bodyBytes
        #expect(a == harness.download(first[0]).bodyBytes)
        #expect(a == harness.download(second[0]).bodyBytes)
        let otherSeed = try finishedTask(harness, ["seed": 124])
        #expect(a != harness.download(otherSeed[0]).bodyBytes)
    }

    @Test func parametersAreEmbeddedInTheFile() throws {
        let harness = ServiceHarness()
        let url = try #require(try finishedTask(harness, ["negative_prompt": "blurry"]).first)
        let text = ImageMetadataReader.parameters(in: harness.download(url).bodyBytes)
        #expect(
            text
                == "a cute dog\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 123, Size: 512x512, Model: sd_xl_base_1.0.safetensors, Denoising strength: 0.5"
        )
    }

    @Test(arguments: [
        ("bytes=0-9223372036854775807", "full"), ("bytes=0-99999999999999999999999", "full"),
        ("bytes=-9223372036854775807", "full"), ("bytes=9223372036854775807-", "416"), ("bytes=+1-2", "200"),
        ("bytes=5-2", "200"), ("bytes=a-b", "200"), ("bytes=0-0", "one"),
    ])
    func hostileRangesNeverCrash(range: String, expected: String) throws {
        let harness = ServiceHarness()
        let url = try #require(try finishedTask(harness).first)
        let total = harness.download(url).bodyBytes.count
        let reply = harness.download(url, headers: [("Range", range)])
        switch expected {
        case "full":
            #expect(reply.status == 206)
            #expect(reply.header("Content-Range") == "bytes 0-\(total - 1)/\(total)")
        case "416": #expect(reply.status == 416)
        case "one": #expect(reply.bodyBytes.count == 1)
        default: #expect(reply.status == 200 && reply.bodyBytes.count == total)
        }
    }

    @Test func anAbsurdExpiryIsRefusedNotOverflowed() throws {
        let harness = ServiceHarness()
        let path = ImageURLSigner.path(taskID: "11111111-1111-4111-8111-111111111111", index: 0, format: .png)
        let date = HTTPDate.amzDate(harness.service.clock.nowMs())
        let expires: Int64 = .max
        let signature = harness.service.signer.signature(path: path, amzDate: date, expires: expires)
        let url = "http://x\(path)?X-Amz-Date=\(date)&X-Amz-Expires=\(expires)&X-Amz-Signature=\(signature)"
        let reply = harness.download(url)
        #expect(reply.status == 403)
        #expect(String(decoding: reply.bodyBytes, as: UTF8.self).contains("AccessDenied"))
    }
}
