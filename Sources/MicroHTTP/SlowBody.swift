import CMicroHTTPD
import Dispatch
import Synchronization

/// A response body sent at a set rate (fault injection) by a libmicrohttpd content reader.
///
/// When the next bytes are not due yet the reader suspends the connection and a timer resumes
/// it, so the wait holds no poll thread and spins no core (a reader returning 0 would make MHD's
/// internal polling busy-loop).
final class SlowBody: Sendable {
    private let request: RequestContext
    private let body: HTTPBody
    private let bytesPerSecond: Int
    /// Bytes per tick: about 20 ticks a second, at least 1 byte, at most 16 KiB.
    let chunkBytes: Int
    private let start = Mutex<ContinuousClock.Instant?>(nil)

    init(request: RequestContext, body: HTTPBody, bytesPerSecond: Int) {
        self.request = request
        self.body = body
        self.bytesPerSecond = bytesPerSecond
        self.chunkBytes = min(max(bytesPerSecond / 20, 1), 16 << 10)
    }

    var count: Int { body.count }

    /// Fills `buffer` with the bytes at `position` when they are due. Returns the count written,
    /// 0 after suspending until they are due, or a negative MHD end marker.
    func read(at position: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if request.isAbandoned { return Int(MHD_CONTENT_READER_END_WITH_ERROR) }
        guard position < body.count else { return Int(MHD_CONTENT_READER_END_OF_STREAM) }
        let now = ContinuousClock.now
        let startedAt = start.withLock { start in
            if start == nil { start = now }
            return start!
        }
        // Byte `position` is due `position / rate` seconds after the first one.
        let due = startedAt + .nanoseconds(Int64(Double(position) / Double(bytesPerSecond) * 1e9))
        if due > now {
            guard request.suspendForSlowBody() else { return Int(MHD_CONTENT_READER_END_WITH_ERROR) }
            let wait = now.duration(to: due)
            let nanoseconds =
                Int(wait.components.seconds) * 1_000_000_000 + Int(wait.components.attoseconds / 1_000_000_000)
            let request = self.request
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(max(nanoseconds, 0))) {
                request.resumeSlowBody()
            }
            return 0
        }
        let count = min(chunkBytes, buffer.count, body.count - position)
        copy(from: position, count: count, into: buffer)
        return count
    }

    private func copy(from position: Int, count: Int, into buffer: UnsafeMutableRawBufferPointer) {
        switch body {
        case .bytes(let bytes):
            bytes.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[position..<(position + count)]))
            }
        case .shared(let shared, let range):
            shared.withUnsafeBytes { source in
                let lower = range.lowerBound + position
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[lower..<(lower + count)]))
            }
        }
    }
}
