import ASCIIText
import CMicroHTTPD

/// The parts of a request known once its header is parsed, copied out of libmicrohttpd's
/// borrowed memory in one go.
struct RequestHead: Sendable {
    var method: String
    var path: String
    var query: [(name: String, value: String)]
    var headers: HTTPHeaders
    var remoteAddress: String

    /// Reads the head of the request on `connection`; only valid inside the access handler.
    init(connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?) {
        self.method = method.map { String(cString: $0) } ?? ""
        // MHD hands over the path already percent-decoded and without the query string.
        self.path = url.map { String(cString: $0) } ?? "/"
        self.headers = HTTPHeaders(fields: Self.values(of: connection, kind: .HEADER_KIND))
        self.query = Self.values(of: connection, kind: .GET_ARGUMENT_KIND)
        self.remoteAddress = Self.clientAddress(of: connection)
    }

    /// The declared body length, or nil when absent or unreadable (MHD rejects those itself).
    var contentLength: UInt64? {
        guard let text = headers["Content-Length"] else { return nil }
        return UInt64(text.trimmingSpaces)
    }

    private static func values(of connection: OpaquePointer, kind: MHD_ValueKind) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        // Room for a typical request's fields up front: growing the array costs more than the slack.
        fields.reserveCapacity(kind == .HEADER_KIND ? 12 : 4)
        withUnsafeMutablePointer(to: &fields) { fieldsPointer in
            _ = MHD_get_connection_values_n(
                connection, kind,
                { cls, _, key, keySize, value, valueSize in
                    let fields = cls!.assumingMemoryBound(to: [(name: String, value: String)].self)
                    // Lengths, not NUL terminators: a decoded `%00` must not cut a value short.
                    fields.pointee.append((name: decodeUTF8(key, keySize), value: decodeUTF8(value, valueSize)))
                    return .YES
                },
                fieldsPointer)
        }
        return fields
    }

    private static func clientAddress(of connection: OpaquePointer) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let length = cmhd_client_address(connection, buffer.baseAddress, buffer.count)
            return decodeUTF8(buffer.baseAddress, length)
        }
    }
}

/// Bytes from C as a String; invalid UTF-8 is repaired rather than trusted. A NULL pointer (a
/// query key without `=`) reads as empty.
private func decodeUTF8(_ pointer: UnsafePointer<CChar>?, _ count: Int) -> String {
    guard let pointer, count > 0 else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
}
