import CMicroHTTPD

/// Turns an `HTTPResponse` into a libmicrohttpd response object and queues it.
enum MHDResponse {
    /// Queues `response` on `connection`; the result is what the access handler returns.
    /// `.NO` closes the connection, which is also the answer to `dropConnection`.
    static func queue(
        _ response: HTTPResponse, on connection: OpaquePointer, request: RequestContext, forceClose: Bool
    ) -> MHD_Result {
        if response.dropConnection { return .NO }
        if let prepared = response.prepared, !forceClose, prepared.matches(response) {
            return MHD_queue_response(connection, UInt32(prepared.status), prepared.handle)
        }
        guard let mhdResponse = make(response, request: request) else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        for field in response.headers {
            // MHD refuses what it must own (Content-Length) and malformed fields; skip those.
            _ = MHD_add_response_header(mhdResponse, field.name, field.value)
        }
        if response.closeConnection || forceClose {
            _ = MHD_add_response_header(mhdResponse, "Connection", "close")
        }
        guard (100...999).contains(response.status) else { return .NO }
        return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    }

    private static func make(_ response: HTTPResponse, request: RequestContext) -> OpaquePointer? {
        let body = clamped(response.body)
        if let rate = response.bodyBytesPerSecond, rate > 0, body.count > 0 {
            return makeSlow(SlowBody(request: request, body: body, bytesPerSecond: rate))
        }
        return makeBuffer(body)
    }

    /// A response object sending `body` from memory: a copy of plain bytes, shared bytes in place.
    static func makeBuffer(_ body: HTTPBody) -> OpaquePointer? {
        switch body {
        case .bytes(let bytes):
            return bytes.withUnsafeBytes { buffer in
                MHD_create_response_from_buffer(
                    buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress), .RESPMEM_MUST_COPY)
            }
        case .shared(let shared, let range):
            // Sent straight from the shared storage, which stays alive until MHD frees the response.
            let retained = Unmanaged.passRetained(shared)
            let start = shared.stableBaseAddress.map { UnsafeMutableRawPointer(mutating: $0 + range.lowerBound) }
            let made = MHD_create_response_from_buffer_with_free_callback_cls(
                range.count, start, { cls in Unmanaged<SharedBytes>.fromOpaque(cls!).release() },
                retained.toOpaque())
            if made == nil { retained.release() }
            return made
        }
    }

    private static func makeSlow(_ slow: SlowBody) -> OpaquePointer? {
        let retained = Unmanaged.passRetained(slow)
        let made = MHD_create_response_from_callback(
            UInt64(slow.count), slow.chunkBytes,
            { cls, position, buffer, max in
                let slow = Unmanaged<SlowBody>.fromOpaque(cls!).takeUnretainedValue()
                return slow.read(at: Int(position), into: UnsafeMutableRawBufferPointer(start: buffer, count: max))
            },
            retained.toOpaque(),
            { cls in Unmanaged<SlowBody>.fromOpaque(cls!).release() })
        if made == nil { retained.release() }
        return made
    }

    /// A shared range outside its bytes would make MHD read foreign memory: clamp it.
    static func clamped(_ body: HTTPBody) -> HTTPBody {
        guard case .shared(let shared, let range) = body else { return body }
        return .shared(shared, range: range.clamped(to: 0..<shared.count))
    }
}
