import Digests
import FoundationEssentials
import Synchronization

/// Training datasets and training tasks, per tenant (docs/contract.md §13.2). A training's state
/// is worked out from its timestamps on the mock's clock whenever it is read, so a read changes
/// nothing and `--speed`, the virtual clock and restarts need no timers. With `--state-dir`,
/// every dataset slot, upload and training is appended to `trainings.log` before it is
/// answered, and replayed at start.
final class TrainingStore: Sendable {
    /// One slot of `POST /v3/assets/training_dataset`, and what was put into it.
    struct Asset: Sendable, Codable, Equatable {
        var id: Int64
        var tenant: String
        var fileExtension: String
        var createdMs: Int64
        /// Bytes and format of the upload; nil until the `PUT` arrived.
        var uploadedBytes: Int?
        var uploadedFormat: String?
    }

    /// One training task as submitted; its state comes from `status(at:)`.
    struct Training: Sendable, Codable, Equatable {
        var id: String
        var tenant: String
        var name: String
        /// `subject` or `style`.
        var type: String
        var baseModel: String
        var createdMs: Int64
        var queueMs: Int64
        var trainingMs: Int64
        var deployingMs: Int64
        /// Set when the training is to fail (`X-Mock-Outcome: fail`), with the reason.
        var failureReason: String?
        var modelName: String

        var trainedAtMs: Int64 { createdMs + queueMs + trainingMs }
        var servingAtMs: Int64 { trainedAtMs + deployingMs }
        /// The LoRA's name in requests (`loras[].model_name`): the file name without `.safetensors`.
        var loraName: String {
            modelName.hasSuffix(".safetensors") ? String(modelName.dropLast(".safetensors".count)) : modelName
        }
        var isSDXL: Bool { baseModel.lowercased().contains("xl") }
    }

    /// A training as it stands at one moment.
    struct Snapshot: Sendable {
        let training: Training
        /// QUEUING, TRAINING, SUCCESS or FAILED (docs' enum).
        let status: String
        /// DEPLOYING or SERVING once SUCCESS; nil before and on FAILED.
        let modelStatus: String?
        let etaSeconds: Int64
        let progressPercent: Int
    }

    private struct State {
        var assets: [Int64: Asset] = [:]
        var trainings: [String: Training] = [:]
        /// Ids by tenant, oldest first.
        var order: [String: [String]] = [:]
        var nextAssetID: Int64 = 100_000
    }

    private let state: Mutex<State>
    private let file: Mutex<FileIO.AppendFile?>
    let clock: MockClock

    init(clock: MockClock, directory: String? = nil) throws(FileIO.Failure) {
        self.clock = clock
        var restored = State()
        if let directory {
            let path = directory + "/trainings.log"
            if FileIO.exists(path) {
                let decoder = JSONDecoder()
                for line in try FileIO.read(path).split(separator: 0x0A) {
                    // A torn last line (a crash mid-write) was never answered: skipped.
                    guard let entry = try? decoder.decode(LogLine.self, from: Data(line)) else { continue }
                    if let asset = entry.asset {
                        restored.assets[asset.id] = asset
                        restored.nextAssetID = max(restored.nextAssetID, asset.id + 1)
                    }
                    if let training = entry.training, restored.trainings[training.id] == nil {
                        restored.trainings[training.id] = training
                        restored.order[training.tenant, default: []].append(training.id)
                    }
                }
            }
            file = Mutex(try FileIO.AppendFile(path: path))
        } else {
            file = Mutex(nil)
        }
        state = Mutex(restored)
    }

    private struct LogLine: Codable {
        var asset: Asset?
        var training: Training?
    }

    private func append(_ line: LogLine) {
        guard let bytes = try? JSONEncoder().encode(line) else { return }
        file.withLock { try? $0?.append(Array(bytes) + [0x0A]) }
    }

    // MARK: datasets

    /// A new dataset slot of `tenant` (its id is what `upload_url` and the trainings name).
    func newAsset(tenant: String, fileExtension: String) -> Asset {
        let asset = state.withLock { state in
            let asset = Asset(
                id: state.nextAssetID, tenant: tenant, fileExtension: fileExtension, createdMs: clock.nowMs())
            state.nextAssetID += 1
            state.assets[asset.id] = asset
            return asset
        }
        append(LogLine(asset: asset))
        return asset
    }

    func asset(id: Int64) -> Asset? {
        state.withLock { $0.assets[id] }
    }

    /// Records the `PUT` of a slot's file.
    func markUploaded(id: Int64, bytes: Int, format: String) {
        let asset: Asset? = state.withLock { state in
            guard var asset = state.assets[id] else { return nil }
            asset.uploadedBytes = bytes
            asset.uploadedFormat = format
            state.assets[id] = asset
            return asset
        }
        if let asset { append(LogLine(asset: asset)) }
    }

    // MARK: trainings

    func add(_ training: Training) {
        state.withLock { state in
            state.trainings[training.id] = training
            state.order[training.tenant, default: []].append(training.id)
        }
        append(LogLine(training: training))
    }

    /// A training of `tenant`; another tenant's id is not found, like an unknown one.
    func training(id: String, tenant: String) -> Training? {
        state.withLock { state in state.trainings[id].flatMap { $0.tenant == tenant ? $0 : nil } }
    }

    /// The tenant's trainings, newest first.
    func trainings(tenant: String) -> [Training] {
        state.withLock { state in (state.order[tenant] ?? []).reversed().compactMap { state.trainings[$0] } }
    }

    /// Drops a tenant's datasets and trainings, or everyone's (`POST /__mock/reset`).
    func reset(tenant: String?) {
        state.withLock { state in
            guard let tenant else {
                let next = state.nextAssetID
                state = State()
                state.nextAssetID = next
                return
            }
            for id in state.order[tenant] ?? [] { state.trainings[id] = nil }
            state.order[tenant] = nil
            state.assets = state.assets.filter { $0.value.tenant != tenant }
        }
    }

    /// The state of `training` at `nowMs`.
    static func snapshot(_ training: Training, nowMs: Int64) -> Snapshot {
        func seconds(_ ms: Int64) -> Int64 { max(0, (ms + 999) / 1000) }
        if nowMs < training.createdMs + training.queueMs {
            return Snapshot(
                training: training, status: "QUEUING", modelStatus: nil,
                etaSeconds: seconds(training.servingAtMs - nowMs), progressPercent: 0)
        }
        if nowMs < training.trainedAtMs {
            let done = nowMs - training.createdMs - training.queueMs
            let percent = training.trainingMs > 0 ? Int(min(99, max(1, done * 100 / training.trainingMs))) : 99
            return Snapshot(
                training: training, status: "TRAINING", modelStatus: nil,
                etaSeconds: seconds(training.servingAtMs - nowMs), progressPercent: percent)
        }
        if training.failureReason != nil {
            return Snapshot(training: training, status: "FAILED", modelStatus: nil, etaSeconds: 0, progressPercent: 100)
        }
        let serving = nowMs >= training.servingAtMs
        return Snapshot(
            training: training, status: "SUCCESS", modelStatus: serving ? "SERVING" : "DEPLOYING",
            etaSeconds: serving ? 0 : seconds(training.servingAtMs - nowMs), progressPercent: 100)
    }

    // MARK: the tenant's models

    /// The catalog `tenant` sees: `base` plus a private LoRA for each of its trainings that is
    /// SERVING now (docs/contract.md §13.2). `base` itself when there is none.
    func catalog(for tenant: String, base: ModelCatalog) -> ModelCatalog {
        let now = clock.nowMs()
        let serving = trainings(tenant: tenant).reversed().filter {
            $0.failureReason == nil && now >= $0.servingAtMs
        }
        guard !serving.isEmpty else { return base }
        let firstID = (base.models.map(\.id).max() ?? 0) + 1_000_000
        let entries = serving.enumerated().map { index, training in
            Self.catalogEntry(training, id: firstID + Int64(index))
        }
        let document = JSONWriter.serialize(["models": .array(entries)])
        guard let extra = try? ModelCatalog(bytes: document),
            let merged = try? ModelCatalog(models: base.models + extra.models)
        else { return base }
        return merged
    }

    /// A trained LoRA as a `GET /v3/model` entry.
    static func catalogEntry(_ training: Training, id: Int64) -> JSONValue {
        let hash = Hex.string(SHA256.hash(Array(training.modelName.utf8)))
        return [
            "id": .number(JSONNumber(id)),
            "name": .string(training.name),
            "hash_sha256": .string(hash),
            "sd_name": .string(training.modelName),
            "sd_name_in_api": .string(training.loraName),
            "type": ["name": "lora", "display_name": "LoRA"],
            "categories": [],
            "status": 1,
            "download_url": "",
            "download_url_ttl": 0,
            "tags": .array([.string(training.type)]),
            "cover_url": "",
            "source": "training",
            "base_model": .string(training.isSDXL ? "SDXL 1.0" : "SD 1.5"),
            "base_model_type": "Standard",
            "is_sdxl": .bool(training.isSDXL),
            "visibility": "private",
        ]
    }
}
