import CCurl

/// A blocking HTTP/1.1 client over libcurl for the mock's outbound traffic (webhooks, S3 uploads).
///
/// `send` blocks its calling thread until the transfer ends or times out, so callers run it on
/// their own threads, never on the request path. It is safe to call from many threads at once:
/// each call uses a fresh libcurl easy handle and shares nothing. Redirects are not followed,
/// only `http` and `https` are spoken, and a response body longer than `maxResponseBodyBytes`
/// keeps its first part, so a hostile receiver cannot exhaust memory.
public final class OutboundHTTPClient: Sendable {
    /// 1 MiB: far more than any webhook receiver's or S3 error's answer.
    public static let defaultMaxResponseBodyBytes = 1 << 20

    /// Response bodies are cut to this many bytes.
    public let maxResponseBodyBytes: Int

    public init(maxResponseBodyBytes: Int = OutboundHTTPClient.defaultMaxResponseBodyBytes) {
        self.maxResponseBodyBytes = max(0, maxResponseBodyBytes)
    }

    /// Performs one request and waits for its response.
    ///
    /// - Returns: the response for any HTTP status, or why none arrived.
    public func send(_ request: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        guard CurlGlobal.isInitialized else { return .failure(.failed("libcurl could not be initialised")) }
        guard Self.isAbsoluteHTTPURL(request.url) else { return .failure(.invalidURL(request.url)) }
        guard Self.isToken(request.method) else {
            return .failure(.failed("invalid HTTP method \"\(request.method)\""))
        }
        for header in request.headers where !Self.isToken(header.name) || !Self.isFieldValue(header.value) {
            return .failure(.failed("invalid header \"\(header.name)\": names are tokens, values have no line breaks"))
        }
        guard let handle = curl_easy_init() else {
            return .failure(.failed("libcurl could not create a transfer handle"))
        }
        defer { curl_easy_cleanup(handle) }

        // libcurl keeps pointers to the body, the error buffer, the header list and the
        // collector until the transfer ends, so all of them outlive `curl_easy_perform`.
        // At least one byte: a NULL CURLOPT_POSTFIELDS would make libcurl read the body from stdin.
        let body = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, request.body.count))
        body.initialize(repeating: 0)
        _ = body.update(fromContentsOf: request.body)
        defer { body.deallocate() }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        let collector = ResponseCollector(maxBodyBytes: maxResponseBodyBytes)
        let context = Unmanaged.passRetained(collector)
        defer { context.release() }

        let timeoutMs = max(1, request.timeoutMs)
        var setupFailure: CURLcode = CURLE_OK
        func check(_ code: CURLcode) {
            if setupFailure == CURLE_OK && code != CURLE_OK { setupFailure = code }
        }
        check(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        check(ccurl_setopt_string(handle, CURLOPT_URL, request.url))
        check(ccurl_restrict_protocols_to_http(handle))
        check(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))  // signals and threads don't mix
        check(ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        check(ccurl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_1_1)))
        check(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMs))
        check(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, timeoutMs))

        let method = request.method
        let sendsBody = !(method == "HEAD" || (method == "GET" && request.body.isEmpty))
        if method == "HEAD" {
            check(ccurl_setopt_long(handle, CURLOPT_NOBODY, 1))
        } else if method == "GET" && request.body.isEmpty {
            check(ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1))
        } else {
            // POSTFIELDS sends exactly `size` bytes with a Content-Length; a custom method keeps
            // that body handling while changing the request line (PUT, PATCH, DELETE, …).
            check(ccurl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            check(ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, body.baseAddress))
            if method != "POST" { check(ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)) }
        }

        var hasContentType = false
        for header in request.headers {
            let name = header.name.lowercased()
            if name == "content-length" || name == "expect" { continue }  // libcurl owns these
            if name == "content-type" { hasContentType = true }
            headerList = Self.append(
                headerList, header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        // An empty `Expect:` stops libcurl's 100-continue wait on larger bodies; an empty
        // `Content-Type:` stops it from labelling a body form-encoded when the caller gave no type.
        headerList = Self.append(headerList, "Expect:")
        if sendsBody && !hasContentType { headerList = Self.append(headerList, "Content-Type:") }
        check(ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))

        check(ccurl_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, ResponseCollector.bodyCallback))
        check(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque()))
        check(ccurl_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, ResponseCollector.headerCallback))
        check(ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context.toOpaque()))
        guard setupFailure == CURLE_OK else {
            return .failure(.failed("libcurl rejected an option: \(Self.message(setupFailure, errorBuffer))"))
        }

        let code = curl_easy_perform(handle)
        guard code == CURLE_OK else {
            return .failure(Self.error(for: code, message: Self.message(code, errorBuffer), request: request))
        }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return .success(OutboundResponse(status: status, headers: collector.headers, body: collector.body))
    }

    private static func append(_ list: UnsafeMutablePointer<curl_slist>?, _ line: String)
        -> UnsafeMutablePointer<curl_slist>?
    {
        // curl_slist_append returns NULL on allocation failure and leaves the old list intact.
        curl_slist_append(list, line) ?? list
    }

    private static func message(_ code: CURLcode, _ errorBuffer: UnsafeMutablePointer<CChar>) -> String {
        if errorBuffer.pointee != 0 { return String(cString: errorBuffer) }
        return String(cString: curl_easy_strerror(code))
    }

    private static func error(for code: CURLcode, message: String, request: OutboundRequest) -> OutboundError {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            .timedOut(afterMs: max(1, request.timeoutMs))
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            .connectionFailed(message)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            .invalidURL(request.url)
        default:
            .failed(message)
        }
    }

    /// `http://` or `https://`, something after it, and no spaces or control characters.
    static func isAbsoluteHTTPURL(_ url: String) -> Bool {
        let lower = url.lowercased()
        let scheme = lower.hasPrefix("http://") ? 7 : lower.hasPrefix("https://") ? 8 : 0
        guard scheme > 0, url.utf8.count > scheme else { return false }
        return url.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F }
    }

    /// RFC 9110 token: visible ASCII without delimiters.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                byte > 0x20 && byte < 0x7F && !"\"(),/:;<=>?@[\\]{}".utf8.contains(byte)
            }
    }

    /// No CR, LF or NUL: a value must not be able to start another header line.
    static func isFieldValue(_ text: String) -> Bool {
        !text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }
}

/// libcurl's process-wide setup, done once before the first handle exists.
private enum CurlGlobal {
    /// A `static let` initialiser runs exactly once, race-free, on first use.
    static let isInitialized: Bool = ccurl_global_init() == CURLE_OK
}
