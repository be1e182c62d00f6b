import MicroHTTP
import Synchronization

/// What repeated downloads of a cached image or clip reuse: the libmicrohttpd response object of
/// its last full answer (`PreparedResponse`), and the URLs whose signature was already checked.
/// Both are bounded and only ever shortcuts: a miss does the work in full.
final class PreparedMedia: Sendable {
    private struct State {
        var responses: [String: HTTPResponse] = [:]
        /// Body bytes the kept responses hold alive (they may outlive the image cache's copy).
        var bytes = 0
        var verified: [String: ImageURLSigner.Verdict] = [:]
    }

    /// Kept responses hold at most this many body bytes; past it they are all dropped.
    let maxBytes: Int
    /// At most this many checked URLs are kept; past it they are all dropped.
    let maxURLs: Int
    private let state = Mutex(State())
    /// Full answers by their URL's signature, for `CachedMediaResponder`: objects of the
    /// responses kept here, dropped whenever these are.
    let early: EarlyMediaIndex

    init(maxBytes: Int = 64 << 20, maxURLs: Int = 4096) {
        self.maxBytes = maxBytes
        self.maxURLs = maxURLs
        early = EarlyMediaIndex(maxEntries: maxURLs)
    }

    /// `fresh` itself, or the response kept for `key` when it says exactly the same (same headers,
    /// same bytes): then the server queues the kept object instead of building one.
    func response(for key: String, matching fresh: HTTPResponse) -> HTTPResponse {
        guard fresh.status == 200, fresh.body.count <= maxBytes else { return fresh }
        if let kept = state.withLock({ $0.responses[key] }), let prepared = kept.prepared, prepared.matches(fresh) {
            return kept
        }
        guard let made = PreparedResponse(status: fresh.status, headers: fresh.headers, body: fresh.body) else {
            return fresh
        }
        var response = fresh
        response.prepared = made
        let dropped = state.withLock { state in
            if let old = state.responses[key] { state.bytes -= old.body.count }
            let over = state.bytes + response.body.count > maxBytes
            if over {
                state.responses = [:]
                state.bytes = 0
            }
            state.responses[key] = response
            state.bytes += response.body.count
            return over
        }
        // The early index keeps objects of these responses only: it goes with them, so it never
        // holds an image alive that this budget let go.
        if dropped { early.removeAll() }
        return response
    }

    /// The verdict on a signed URL: a URL found valid before is only checked for expiry again
    /// (its signature cannot have changed); anything else is checked in full by `verify`.
    func verdict(
        path: String, query: [(name: String, value: String)], nowMs: Int64,
        verify: () -> ImageURLSigner.Verdict
    ) -> ImageURLSigner.Verdict {
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
        guard let date = value("X-Amz-Date"), let expires = value("X-Amz-Expires"),
            let signature = value("X-Amz-Signature")
        else { return verify() }
        let key = path + "\n" + date + "\n" + expires + "\n" + signature
        if let known = state.withLock({ $0.verified[key] }), case .valid(_, _, _, let expiresAt) = known {
            return nowMs < expiresAt ? known : .expired
        }
        let verdict = verify()
        if case .valid = verdict {
            state.withLock { state in
                if state.verified.count >= maxURLs { state.verified = [:] }
                state.verified[key] = verdict
            }
        }
        return verdict
    }

    func removeAll() {
        state.withLock { $0 = State() }
        early.removeAll()
    }
}
