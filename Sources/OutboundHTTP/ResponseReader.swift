import ASCIIText

/// Reads one HTTP/1.1 response off a stream: the status line and header fields of the final
/// (non-1xx) response, then the body framed by chunked coding, `Content-Length` or the close.
///
/// Header fields are limited to `maxHeaderBytes` in all; the body keeps its first
/// `maxBodyBytes` and reads the rest only to find its end.
struct ResponseReader {
    /// Header bytes accepted per response: no webhook receiver or S3 error comes near it.
    static let maxHeaderBytes = 64 * 1024
    /// A chunk-size line longer than this is not HTTP.
    private static let maxChunkLineBytes = 4096

    private let stream: any ByteStream
    private let deadline: Deadline
    private let maxBodyBytes: Int
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    /// Where reads land before they join `buffer` (a fixed block: no per-read allocation).
    private let scratch = ReadBuffer(size: 64 * 1024)

    init(stream: any ByteStream, deadline: Deadline, maxBodyBytes: Int) {
        self.stream = stream
        self.deadline = deadline
        self.maxBodyBytes = maxBodyBytes
    }

    /// - Parameter bodyless: the request was HEAD, so no body follows whatever the headers say.
    mutating func readResponse(bodyless: Bool) throws(TransportFailure) -> OutboundResponse {
        var status: Int
        var headers: [(name: String, value: String)]
        repeat {
            guard let statusLine = try line(limit: Self.maxHeaderBytes) else {
                throw .failed(
                    buffer.isEmpty
                        ? "the connection closed before a response arrived" : "the response ended inside its header")
            }
            status = try Self.status(of: statusLine)
            headers = try headerFields()
        } while (100...199).contains(status) && status != 101  // interim answers (100 Continue …)

        var body: [UInt8] = []
        if bodyless || status == 204 || status == 304 || (100...199).contains(status) {
            return OutboundResponse(status: status, headers: headers, body: body)
        }
        let field = { (name: String) in headers.last { $0.name.lowercased() == name }?.value }
        if let coding = field("transfer-encoding"), coding.lowercased().hasSuffix("chunked") {
            try readChunked(into: &body)
        } else if let lengthText = field("content-length") {
            guard lengthText.utf8.allSatisfy(\.isASCIIDigit), let length = Int(lengthText),
                headers.allSatisfy({ $0.name.lowercased() != "content-length" || $0.value == lengthText })
            else { throw .failed("the response has an invalid Content-Length \"\(lengthText)\"") }
            try readBytes(length, into: &body) { received in
                "the connection closed after \(received) of \(length) body bytes"
            }
        } else {
            // To the close, keeping only what fits under the cap as it arrives (never buffering
            // the rest: a receiver may stream until the deadline).
            repeat {
                keep(buffer[position...], in: &body)
                position = buffer.count
            } while try fill()
        }
        return OutboundResponse(status: status, headers: headers, body: body)
    }

    // MARK: - Framing

    private mutating func headerFields() throws(TransportFailure) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        var total = 0
        while true {
            guard let line = try line(limit: Self.maxHeaderBytes - total) else {
                throw .failed("the response ended inside its header")
            }
            if line.isEmpty { return fields }
            total += line.count + 2
            if line.first == 0x20 || line.first == 0x09, let previous = fields.popLast() {
                // Obsolete line folding: the line continues the previous field's value.
                fields.append((previous.name, previous.value + " " + Self.trimmed(line)))
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else {
                throw .failed("the response has a malformed header line")
            }
            fields.append((String(decoding: line[..<colon], as: UTF8.self), Self.trimmed(line[(colon + 1)...])))
        }
    }

    private mutating func readChunked(into body: inout [UInt8]) throws(TransportFailure) {
        while true {
            guard let sizeLine = try line(limit: Self.maxChunkLineBytes) else {
                throw .failed("the connection closed inside a chunked body")
            }
            let sizeText = sizeLine.prefix { $0 != UInt8(ascii: ";") }
            let digits = String(decoding: sizeText, as: UTF8.self).trimmingSpaces
            guard !digits.isEmpty, digits.count <= 15, digits.utf8.allSatisfy(\.isASCIIHexDigit),
                let size = Int(digits, radix: 16)
            else {
                throw .failed("the response has a malformed chunk size \"\(digits)\"")
            }
            if size == 0 {
                // Trailer fields, then the blank line; a close right after the last chunk is fine.
                while let trailer = try line(limit: Self.maxHeaderBytes), !trailer.isEmpty {}
                return
            }
            try readBytes(size, into: &body) { _ in "the connection closed inside a chunked body" }
            guard let end = try line(limit: 2), end.isEmpty else {
                throw .failed("the response has a chunk without its closing line break")
            }
        }
    }

    /// Reads exactly `count` body bytes, keeping what fits under the body cap.
    private mutating func readBytes(
        _ count: Int, into body: inout [UInt8], closedEarly: (Int) -> String
    ) throws(TransportFailure) {
        var remaining = count
        while remaining > 0 {
            if position == buffer.count {
                guard try fill() else { throw .failed(closedEarly(count - remaining)) }
            }
            let take = min(remaining, buffer.count - position)
            keep(buffer[position..<(position + take)], in: &body)
            position += take
            remaining -= take
        }
    }

    private func keep(_ bytes: ArraySlice<UInt8>, in body: inout [UInt8]) {
        let room = maxBodyBytes - body.count
        if room > 0 { body.append(contentsOf: bytes.prefix(room)) }
    }

    // MARK: - Buffer

    /// The next line without its CR LF (a bare LF ends a line too); nil when the stream ended
    /// before any byte of it.
    private mutating func line(limit: Int) throws(TransportFailure) -> ArraySlice<UInt8>? {
        var scanned = 0  // bytes after `position` known to hold no line feed (fill may move them)
        while true {
            if let newline = buffer[(position + scanned)...].firstIndex(of: 0x0A) {
                var end = newline
                if end > position && buffer[end - 1] == 0x0D { end -= 1 }
                guard end - position <= limit else { throw .failed("the response header is too large") }
                let line = buffer[position..<end]
                position = newline + 1
                return line
            }
            scanned = buffer.count - position
            guard buffer.count - position <= limit else { throw .failed("the response header is too large") }
            guard try fill() else {
                if position == buffer.count { return nil }
                throw .failed("the connection closed in the middle of a line")
            }
        }
    }

    /// Reads more bytes; false once the stream has ended.
    private mutating func fill() throws(TransportFailure) -> Bool {
        guard !atEnd else { return false }
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 64 * 1024 {
            buffer.removeFirst(position)
            position = 0
        }
        let received = try stream.read(into: scratch.bytes, before: deadline)
        buffer.append(contentsOf: scratch.bytes.prefix(received))
        if received == 0 { atEnd = true }
        return received > 0
    }

    // MARK: - Pieces

    /// `HTTP/1.x NNN reason` → NNN.
    private static func status(of line: ArraySlice<UInt8>) throws(TransportFailure) -> Int {
        let parts = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].starts(with: Array("HTTP/1.".utf8)), parts[1].count == 3,
            let status = Int(String(decoding: parts[1], as: UTF8.self)), (100...999).contains(status)
        else {
            throw .failed("the response does not start with an HTTP/1.x status line")
        }
        return status
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self).trimmingSpaces
    }
}

/// A fixed block of memory owned by one reader.
private final class ReadBuffer {
    let bytes: UnsafeMutableRawBufferPointer

    init(size: Int) {
        bytes = .allocate(byteCount: size, alignment: 1)
    }

    deinit { bytes.deallocate() }
}
