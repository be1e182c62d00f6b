import Digests
import Dispatch
import MicroHTTP
import Synchronization

/// An encoded image ready to serve.
struct EncodedImage: Sendable {
    let bytes: SharedBytes
    /// A strong validator: the content's SHA-256, quoted.
    let etag: String
}

/// Encoded images kept within a byte budget (`--image-cache-mb`), least recently used evicted
/// first. Concurrent first requests for one image render it once; the others wait for it. An
/// evicted image is simply rendered again — to the same bytes, since rendering is deterministic.
final class ImageCache: Sendable {
    private struct Entry {
        let image: EncodedImage
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var totalBytes = 0
        var tick: UInt64 = 0
        var inFlight: [String: DispatchGroup] = [:]
        var hits = 0
        var misses = 0
    }

    let budgetBytes: Int
    private let state = Mutex(State())

    init(budgetBytes: Int) {
        self.budgetBytes = budgetBytes
    }

    var totalBytes: Int { state.withLock { $0.totalBytes } }
    var counts: (hits: Int, misses: Int, entries: Int) {
        state.withLock { ($0.hits, $0.misses, $0.entries.count) }
    }

    /// The cached image for `key`, rendering it with `render` when absent (once, however many
    /// ask at the same time).
    func image(for key: String, render: () throws(RenderFailure) -> [UInt8]) throws(RenderFailure) -> EncodedImage {
        while true {
            enum Step {
                case hit(EncodedImage)
                case wait(DispatchGroup)
                case lead(DispatchGroup)
            }
            let step: Step = state.withLock { state in
                state.tick += 1
                if var entry = state.entries[key] {
                    entry.lastUse = state.tick
                    state.entries[key] = entry
                    state.hits += 1
                    return .hit(entry.image)
                }
                if let group = state.inFlight[key] { return .wait(group) }
                let group = DispatchGroup()
                group.enter()
                state.inFlight[key] = group
                state.misses += 1
                return .lead(group)
            }
            switch step {
            case .hit(let image):
                return image
            case .wait(let group):
                group.wait()
                if let image = peek(key) { return image }
                continue  // the leader failed or the entry was evicted at once: try ourselves
            case .lead(let group):
                defer {
                    _ = state.withLock { $0.inFlight.removeValue(forKey: key) }
                    group.leave()
                }
                let bytes = try render()
                let etag = "\"" + Hex.string(SHA256.hash(bytes).prefix(16)) + "\""
                let image = EncodedImage(bytes: SharedBytes(bytes), etag: etag)
                insert(image, for: key)
                return image
            }
        }
    }

    /// The image when it is cached (counted as a hit), without rendering anything.
    func cachedImage(for key: String) -> EncodedImage? {
        state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            state.tick += 1
            entry.lastUse = state.tick
            state.entries[key] = entry
            state.hits += 1
            return entry.image
        }
    }

    private func peek(_ key: String) -> EncodedImage? {
        state.withLock { $0.entries[key]?.image }
    }

    private func insert(_ image: EncodedImage, for key: String) {
        state.withLock { state in
            guard image.bytes.count <= budgetBytes else { return }
            state.tick += 1
            if let old = state.entries[key] { state.totalBytes -= old.image.bytes.count }
            state.entries[key] = Entry(image: image, lastUse: state.tick)
            state.totalBytes += image.bytes.count
            while state.totalBytes > budgetBytes {
                guard let victim = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) else { break }
                state.entries[victim.key] = nil
                state.totalBytes -= victim.value.image.bytes.count
            }
        }
    }

    /// Forgets every image of one task (its task was removed).
    func removeAll(withPrefix prefix: String) {
        state.withLock { state in
            for key in state.entries.keys where key.hasPrefix(prefix) {
                state.totalBytes -= state.entries[key]!.image.bytes.count
                state.entries[key] = nil
            }
        }
    }
}

/// Why an image could not be produced.
struct RenderFailure: Error, Sendable {
    let message: String
}
