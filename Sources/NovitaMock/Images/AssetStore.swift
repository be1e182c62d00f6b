import Digests
import ImageCodecs
import Synchronization
import VideoCodecs

/// The assets host's files (docs/contract.md §13.1): what `PUT /image` and `PUT /video` took,
/// content-addressed within each owner, so the same bytes from the same key get the same id.
///
/// An owner is the uploading key, or the shared space of uploads that came without one (the
/// Python SDK's `upload_assets` sends no `Authorization`). A key sees its own assets and the
/// shared ones; another key's are unknown to it.
///
/// With `--state-dir` every asset is a file under `assets/<owner digest>/<id>`, written and
/// fsync'ed before its id is answered, so it survives a restart or a `kill -9`. Without, assets
/// live in memory up to `memoryBudget` bytes; past that an upload is refused (never evicted: a
/// test holding an id must be able to use it).
final class AssetStore: Sendable {
    /// Why an upload was not kept.
    enum Failure: Error, Sendable {
        /// The in-memory budget is spent.
        case full(budget: Int)
        case file(FileIO.Failure)
    }

    private struct State {
        var entries: [String: [UInt8]] = [:]
        var bytes = 0
    }

    /// The durable directory, or nil for memory only.
    let directory: String?
    let memoryBudget: Int
    private let state = Mutex(State())

    init(directory: String?, memoryBudget: Int = 1 << 30) {
        self.directory = directory
        self.memoryBudget = memoryBudget
    }

    /// Shown where an owner has no key.
    static let sharedOwner = ""

    /// Keeps `bytes` for `owner` and returns its id (the same id for the same bytes and owner).
    func put(_ bytes: [UInt8], owner: String) throws(Failure) -> String {
        let ownerDigest = Self.ownerDigest(owner)
        let id = String(Hex.string(SHA256.hash(Array(ownerDigest.utf8) + [0] + bytes)).prefix(48))
        if let directory {
            let folder = "\(directory)/\(ownerDigest)"
            let path = "\(folder)/\(id)"
            do throws(FileIO.Failure) {
                if !FileIO.exists(path) {
                    try FileIO.makeDirectory(folder)
                    try FileIO.writeAtomically(bytes, to: path)
                }
            } catch {
                throw .file(error)
            }
            return id
        }
        let key = "\(ownerDigest)/\(id)"
        let kept: Bool = state.withLock { state in
            if state.entries[key] != nil { return true }
            guard state.bytes + bytes.count <= memoryBudget else { return false }
            state.entries[key] = bytes
            state.bytes += bytes.count
            return true
        }
        guard kept else { throw .full(budget: memoryBudget) }
        return id
    }

    /// An asset every key sees without uploading it: the 32×32 picture of `openapi.yaml`'s
    /// examples, so a schema-driven client sending a documented example gets a 200.
    static let exampleID = "novita-mock-example"

    /// A video every key sees without uploading it, for the same reason: `video-merge-face`'s
    /// example names it. One second (12 frames) of a 64×64 gradient sliding left, H.264 in MP4.
    static let exampleVideoID = "novita-mock-example-video"

    static let exampleVideo: [UInt8]? = {
        let side = 64
        let frames = 12
        guard let builder = try? MP4Builder(width: side, height: side, frameRate: frames) else { return nil }
        for frame in 0..<frames {
            var rgb = [UInt8](repeating: 0, count: side * side * 3)
            for y in 0..<side {
                for x in 0..<side {
                    let offset = (y * side + x) * 3
                    rgb[offset] = UInt8(truncatingIfNeeded: (x + frame * 4) * 4)
                    rgb[offset + 1] = UInt8(truncatingIfNeeded: y * 4)
                    rgb[offset + 2] = 160
                }
            }
            guard (try? builder.append(PixelBuffer(width: side, height: side, rgb: rgb))) != nil else { return nil }
        }
        return try? builder.finish()
    }()

    /// The bytes of `id` as `tenant` sees them: its own upload, else a shared one; nil when neither.
    func get(_ id: String, tenant: String) -> [UInt8]? {
        guard Self.isWellFormedID(id) else { return nil }
        if id == Self.exampleID {
            return try? Base64.decode(Substring(OpenAPIDocument.exampleImageBase64).utf8, maxBytes: 1 << 16)
        }
        if id == Self.exampleVideoID { return Self.exampleVideo }
        for owner in [tenant, Self.sharedOwner] {
            let ownerDigest = Self.ownerDigest(owner)
            if let directory {
                if let bytes = try? FileIO.read("\(directory)/\(ownerDigest)/\(id)") { return bytes }
            } else if let bytes = state.withLock({ $0.entries["\(ownerDigest)/\(id)"] }) {
                return bytes
            }
        }
        return nil
    }

    /// Bytes held in memory.
    var memoryBytes: Int { state.withLock { $0.bytes } }

    /// Drops the assets `tenant` uploaded with its key, or every uploaded asset (the shared ones
    /// too) when nil — from memory, and from the durable directory (`POST /__mock/reset`,
    /// docs/contract.md §9). The built-in examples stay.
    func reset(tenant: String?) {
        let prefix = tenant.map { Self.ownerDigest($0) + "/" }
        if let directory {
            let owners = (try? FileIO.listDirectory(directory)) ?? []
            for owner in owners where prefix == nil || owner + "/" == prefix {
                let folder = "\(directory)/\(owner)"
                for name in (try? FileIO.listDirectory(folder)) ?? [] where Self.isWellFormedID(name) {
                    FileIO.remove("\(folder)/\(name)")
                }
                FileIO.syncDirectory(of: folder + "/")
            }
        }
        state.withLock { state in
            for key in state.entries.keys where prefix == nil || key.hasPrefix(prefix!) {
                state.bytes -= state.entries.removeValue(forKey: key)?.count ?? 0
            }
        }
    }

    /// The form an id the mock answers has, checked before any lookup (so a path can never
    /// come from a request): 1 to 128 letters, digits, `_`, `-`.
    static func isWellFormedID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128
            && id.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == 0x5F || byte == 0x2D
            }
    }

    /// A directory name for an owner that does not spell its key.
    static func ownerDigest(_ owner: String) -> String {
        owner.isEmpty ? "shared" : String(Hex.string(SHA256.hash(Array("assets-owner:\(owner)".utf8))).prefix(32))
    }
}
