import CCurl

/// Gathers one transfer's response from libcurl's callbacks.
///
/// Only the thread inside `curl_easy_perform` touches it, so it needs no lock; it reaches the
/// C callbacks as an `Unmanaged` context pointer because those cannot capture.
final class ResponseCollector {
    /// Header bytes kept per response; libcurl limits each line, not their number.
    static let maxHeaderBytes = 64 * 1024

    let maxBodyBytes: Int
    private(set) var body: [UInt8] = []
    private(set) var headers: [(name: String, value: String)] = []
    private var headerBytes = 0

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    func appendBody(_ bytes: UnsafeRawBufferPointer) {
        let room = maxBodyBytes - body.count
        guard room > 0 else { return }
        body.append(contentsOf: bytes.prefix(room))
    }

    /// One header line as libcurl hands it over: the status line, a field, or the blank end.
    func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        var line = Array(bytes)
        while let last = line.last, last == 0x0A || last == 0x0D { line.removeLast() }
        if line.starts(with: Array("HTTP/".utf8)) {
            // A new status line starts a new response (after a 1xx): keep only the final one.
            headers = []
            headerBytes = 0
            return
        }
        guard !line.isEmpty, headerBytes + line.count <= Self.maxHeaderBytes else { return }
        headerBytes += line.count
        if line[0] == 0x20 || line[0] == 0x09, let previous = headers.popLast() {
            // Obsolete line folding: the line continues the previous field's value.
            let continued = String(decoding: line, as: UTF8.self).trimmingWhitespace()
            headers.append((previous.name, previous.value + " " + continued))
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: line[..<colon], as: UTF8.self)
        let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingWhitespace()
        headers.append((name, value))
    }

    static let bodyCallback: curl_write_callback = { data, size, count, context in
        let length = size * count
        guard let data, let context else { return length }
        let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
        collector.appendBody(UnsafeRawBufferPointer(start: data, count: length))
        return length  // always "consumed": bytes past the cap are dropped, not an error
    }

    static let headerCallback: curl_write_callback = { data, size, count, context in
        let length = size * count
        guard let data, let context else { return length }
        let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
        collector.appendHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
        return length
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
