import MicroHTTP

/// Answers a download of a cached image or clip from the request head (docs/architecture.md
/// "Request path"), as `FinishedPollResponder` answers polls: the signed URL's signature finds
/// the response object the pipeline last queued for it, and the answer costs a lookup.
///
/// Only where the answer is the pipeline's to the letter: `GET` (not `HEAD`) under the image or
/// video prefix, no body, no `Range` or `If-None-Match`, no fault rule (nor rate limit or
/// cassette: `MockService.earlyAnswersAllowed`), the same path, `X-Amz-Date` and `X-Amz-Expires`
/// the pipeline checked with this signature, the URL not expired, the same `max-age` second the
/// kept object says, and no task removed since the pipeline answered (`TaskStore.removalGeneration`).
/// Everything else is declined and goes the usual way; the pipeline stamps the index again.
final class CachedMediaResponder: EarlyResponder {
    static let imagePrefix: StaticString = "/faas-output-image/prod/"
    static let videoPrefix: StaticString = "/faas-output-video/prod/"
    /// The routes' metrics labels (`Router.Pattern.label` of the two prefixes).
    static let imageRoute = ImageURLSigner.pathPrefix + "*"
    static let videoRoute = ImageURLSigner.videoPathPrefix + "*"

    /// Unmanaged, as `EarlyAnswerContext` holds the rest.
    private let index: Unmanaged<EarlyMediaIndex>
    private let context: EarlyAnswerContext

    init(index: EarlyMediaIndex, context: EarlyAnswerContext) {
        self.index = .passUnretained(index)
        self.context = context
    }

    func mayAnswer(_ head: BorrowedRequestHead) -> Bool {
        (head.pathHasPrefix(Self.imagePrefix) || head.pathHasPrefix(Self.videoPrefix)) && head.methodIs("GET")
    }

    func respond(to head: BorrowedRequestHead) -> EarlyAnswer {
        guard !context.faultRulesInForce else { return .declined }
        let started = MonotonicClock.nanoseconds()
        return head.withFields(headerRoom: Self.headerRoom, queryRoom: Self.queryRoom) { headers, query in
            answer(head, headers: headers, query: query, started: started)
        }
    }

    private static let headerRoom = 32
    /// A presigned URL carries seven parameters.
    private static let queryRoom = 12

    private func answer(
        _ head: BorrowedRequestHead, headers: UnsafeBufferPointer<BorrowedField>,
        query: UnsafeBufferPointer<BorrowedField>, started: UInt64
    ) -> EarlyAnswer {
        var wanted = EarlyRequestHeaders()
        for field in headers { wanted.see(name: field.name, value: field.value) }
        guard !wanted.announcesBody, !wanted.asksConditionally,
            let signed = EarlyMediaIndex.SignedParameters(query),
            let signature = InlineKey(signed.signature)
        else { return .declined }
        // As the pipeline reads it: the key of `Authorization`, when there is one.
        let apiKey = wanted.authorization.flatMap { authorization in
            Authenticator.keyRange(in: authorization).map { UnsafeRawBufferPointer(rebasing: authorization[$0]) }
        }
        let path = head.path
        let route: Metrics.EarlyRoute = head.pathHasPrefix(Self.imagePrefix) ? .image : .video
        let (nowMs, generation) = (context.nowMs, context.removalGeneration)
        return index._withUnsafeGuaranteedRef {
            $0.answerEarly(
                signature: signature, path: path, signed: signed, nowMs: nowMs, generation: generation, on: head
            ) {
                context.recorder.recordEarly(
                    query: query, headers: headers, route: route, path: path,
                    apiKey: apiKey, testID: wanted.testID, responseBody: UnsafeRawBufferPointer(start: nil, count: 0),
                    timeMs: nowMs, startedNanoseconds: started)
            }
        }
    }
}

/// The response objects of cached downloads the pipeline answered in full (`MediaController`),
/// by their URL's signature, with what an early answer must still check (`CachedMediaResponder`).
/// Bounded by entries (past that, all are dropped; the pipeline stamps again), and emptied with
/// `PreparedMedia`'s responses, whose objects these are: it keeps no image alive on its own.
final class EarlyMediaIndex: Sendable {
    /// The signed URL's parameters the pipeline's verdict depends on: the first of each name, as
    /// `ImageURLSigner.verify` reads them (borrowed from the head, or copied into an entry).
    struct SignedParameters {
        let date: UnsafeRawBufferPointer
        let expires: UnsafeRawBufferPointer
        let signature: UnsafeRawBufferPointer

        init?(_ query: UnsafeBufferPointer<BorrowedField>) {
            var date: UnsafeRawBufferPointer?
            var expires: UnsafeRawBufferPointer?
            var signature: UnsafeRawBufferPointer?
            for field in query {
                if date == nil, field.name.isExactly("X-Amz-Date") {
                    date = field.value
                } else if expires == nil, field.name.isExactly("X-Amz-Expires") {
                    expires = field.value
                } else if signature == nil, field.name.isExactly("X-Amz-Signature") {
                    signature = field.value
                }
            }
            guard let date, let expires, let signature else { return nil }
            (self.date, self.expires, self.signature) = (date, expires, signature)
        }
    }

    /// What an entry holds by reference, read through `Unmanaged` on the early path: neither a
    /// count on every download nor a copy of the byte arrays.
    private final class Kept: Sendable {
        let path: [UInt8]
        let date: [UInt8]
        let expires: [UInt8]
        let prepared: PreparedResponse

        init(path: [UInt8], date: [UInt8], expires: [UInt8], prepared: PreparedResponse) {
            (self.path, self.date, self.expires, self.prepared) = (path, date, expires, prepared)
        }

        func matches(path: UnsafeRawBufferPointer, _ signed: SignedParameters) -> Bool {
            path.elementsEqual(self.path) && signed.date.elementsEqual(date) && signed.expires.elementsEqual(expires)
        }
    }

    private struct Entry {
        let expiresAtMs: Int64
        /// The `max-age` the object's `Cache-Control` says: it answers only within that second.
        let maxAge: Int64
        let generation: Int
        /// Kept alive by `State.kept` under the same signature: both go together.
        let kept: Unmanaged<Kept>
    }

    private struct State {
        var entries: [InlineKey: Entry] = [:]
        var kept: [InlineKey: Kept] = [:]
    }

    let maxEntries: Int
    private let state = ReadWriteLocked(State())

    init(maxEntries: Int = 4096) {
        self.maxEntries = maxEntries
    }

    /// Keeps `prepared` (a full 200 answer, `Cache-Control: max-age=` `maxAge`) for the URL whose
    /// query is `query` and path `path`, valid until `expiresAtMs`, as of removal `generation`.
    func stamp(
        path: String, query: [(name: String, value: String)], expiresAtMs: Int64, maxAge: Int64, generation: Int,
        prepared: PreparedResponse
    ) {
        func first(_ name: String) -> [UInt8]? { query.first { $0.name == name }.map { Array($0.value.utf8) } }
        guard let date = first("X-Amz-Date"), let expires = first("X-Amz-Expires"),
            let signatureBytes = first("X-Amz-Signature"),
            let signature = signatureBytes.withUnsafeBytes({ InlineKey($0) })
        else { return }
        let kept = Kept(path: Array(path.utf8), date: date, expires: expires, prepared: prepared)
        let entry = Entry(expiresAtMs: expiresAtMs, maxAge: maxAge, generation: generation, kept: .passUnretained(kept))
        state.withWriteLock { state in
            if state.entries[signature] == nil && state.entries.count >= maxEntries {
                state = State()
            }
            state.kept[signature] = kept
            state.entries[signature] = entry
        }
    }

    /// Queues the kept object when everything the pipeline would check still holds; `answered`
    /// runs (under the read lock) once it is queued.
    func answerEarly(
        signature: InlineKey, path: UnsafeRawBufferPointer, signed: SignedParameters, nowMs: Int64, generation: Int,
        on head: BorrowedRequestHead, answered: () -> Void
    ) -> EarlyAnswer {
        state.withReadLock { state in
            // Queued under the lock: a reset cannot free the object in between.
            guard let entry = state.entries[signature], entry.generation == generation, nowMs < entry.expiresAtMs,
                max(0, (entry.expiresAtMs - nowMs) / 1000) == entry.maxAge
            else { return .declined }
            return entry.kept._withUnsafeGuaranteedRef { kept in
                guard kept.matches(path: path, signed) else { return .declined }
                let answer = head.queue(kept.prepared)
                if case .queued = answer { answered() }
                return answer
            }
        }
    }

    func removeAll() {
        state.withWriteLock { $0 = State() }
    }
}
