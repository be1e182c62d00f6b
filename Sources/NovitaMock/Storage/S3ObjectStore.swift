import FoundationEssentials
import OutboundHTTP

/// Stores objects on an S3-compatible server with path-style `PUT <endpoint>/<bucket>/<key>`
/// signed by AWS Signature V4.
struct S3ObjectStore: ObjectStore {
    /// Scheme, host and port, e.g. `http://127.0.0.1:5000`; a trailing `/` is ignored.
    var endpoint: String
    var credentials: S3Credentials
    var client: OutboundHTTPClient
    /// Per upload, the whole transfer.
    var timeoutMs: Int
    /// Wall-clock time for `x-amz-date`: S3 rejects a signature more than 15 minutes off, so
    /// this is the real clock, not the mock's virtual one.
    var nowEpochMs: @Sendable () -> Int64

    init(
        endpoint: String, credentials: S3Credentials, client: OutboundHTTPClient, timeoutMs: Int = 30_000,
        nowEpochMs: @escaping @Sendable () -> Int64 = { Int64((Date.now.timeIntervalSince1970 * 1000).rounded()) }
    ) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.client = client
        self.timeoutMs = timeoutMs
        self.nowEpochMs = nowEpochMs
    }

    /// `<endpoint>/<bucket>/<key>`, each key segment encoded by SigV4's rules.
    func objectURL(bucket: String, key: String) -> String {
        var base = Substring(endpoint)
        while base.hasSuffix("/") { base = base.dropLast() }
        return "\(base)/\(AWSSignatureV4.uriEncode(bucket))/\(AWSSignatureV4.uriEncode(key, encodeSlash: false))"
    }

    func put(bucket: String, key: String, bytes: [UInt8], contentType: String, region: String) throws(StorageError) {
        guard !bucket.isEmpty, !bucket.contains("/") else {
            throw StorageError("S3 bucket name \"\(bucket)\" is not valid: it must be non-empty and contain no \"/\"")
        }
        guard !key.isEmpty else { throw StorageError("S3 object key for bucket \"\(bucket)\" is empty") }
        let url = objectURL(bucket: bucket, key: key)
        let parsed: OutboundURL
        switch OutboundURL.parse(url) {
        case .success(let value): parsed = value
        case .failure(let problem): throw StorageError("S3 endpoint \(endpoint) is not a usable URL: \(problem)")
        }
        let contentHeaders: [(name: String, value: String)] = [("Content-Type", contentType)]
        let signature = AWSSignatureV4.authorizationHeaders(
            method: "PUT", url: parsed, headers: contentHeaders, payloadSHA256Hex: AWSSignatureV4.sha256Hex(bytes),
            region: region, credentials: credentials, nowEpochMs: nowEpochMs())
        let request = OutboundRequest(
            method: "PUT", url: url, headers: contentHeaders + signature, body: bytes, timeoutMs: timeoutMs)
        switch client.send(request) {
        case .failure(let error):
            throw StorageError("S3 PUT \(url) failed: \(error)")
        case .success(let response) where (200..<300).contains(response.status):
            return
        case .success(let response):
            throw StorageError("S3 PUT \(url) failed: \(Self.describe(status: response.status, body: response.body))")
        }
    }

    /// `404 NoSuchBucket: The specified bucket does not exist` from S3's XML error body, or
    /// the status alone when the body is not one.
    static func describe(status: Int, body: [UInt8]) -> String {
        let text = String(decoding: body, as: UTF8.self)
        guard let code = element("Code", in: text), !code.isEmpty else {
            return "HTTP \(status)"
        }
        guard let message = element("Message", in: text), !message.isEmpty else { return "\(status) \(code)" }
        return "\(status) \(code): \(message)"
    }

    /// The text of the first `<name>…</name>`, entities decoded.
    private static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.firstRange(of: "<\(name)>"),
            let close = xml[open.upperBound...].firstRange(of: "</\(name)>")
        else { return nil }
        var value = String(xml[open.upperBound..<close.lowerBound])
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&apos;", "'"), ("&amp;", "&")] {
            value = value.replacing(entity, with: character)
        }
        return value.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
