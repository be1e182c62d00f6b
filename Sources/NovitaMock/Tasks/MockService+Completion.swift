import Dispatch
import ImageCodecs
import MicroHTTP

extension MockService {
    /// What happens after a task's work ends: its images go to custom storage (the task settles
    /// when that is done), then its webhook is sent. Called on the lifecycle driver only.
    func tasksFinished(_ records: [TaskRecord]) {
        for record in records {
            if record.awaitingStorage {
                BlockingWorkPool.uploads.submit { [self] in store(record) }
            } else if record.status.isFinished {
                sendWebhook(for: record)
            }
        }
    }

    /// The key of image `index` (or of the clip, for a video task) in the bucket (docs/contract.md §8).
    static func storageKey(_ record: TaskRecord, target: S3Target, index: Int) -> String {
        let fileExtension = record.parameters.video?.container.fileExtension ?? record.parameters.format.fileExtension
        let file = "\(ImageURLSigner.fileID(taskID: record.id, index: index)).\(fileExtension)"
        let prefix = target.path.split(separator: "/").joined(separator: "/")
        let parts = [prefix, target.saveToPathDirectly ? "" : record.id, file].filter { !$0.isEmpty }
        return parts.joined(separator: "/")
    }

    private func store(_ record: TaskRecord) {
        guard let target = record.extra.storage else { return }
        var failure: String?
        if let video = record.parameters.video {
            // A video task stores its one clip, under the name its URL has (docs/contract.md §14).
            do throws(RenderFailure) {
                let clip = try images.video(of: record)
                do throws(StorageError) {
                    try objectStore.put(
                        bucket: target.bucket, key: Self.storageKey(record, target: target, index: 0),
                        bytes: clip.bytes.bytes, contentType: video.container.mimeType, region: target.region)
                } catch {
                    failure = "custom storage upload failed: \(error.message)"
                }
            } catch {
                failure = "custom storage: the video could not be encoded: \(error.message)"
            }
        }
        for index in 0..<(record.parameters.video == nil ? record.parameters.imageNum : 0) {
            let image: EncodedImage
            do throws(RenderFailure) {
                image = try images.image(of: record, index: index)
            } catch {
                failure = "custom storage: image \(index) could not be rendered: \(error.message)"
                break
            }
            do throws(StorageError) {
                try objectStore.put(
                    bucket: target.bucket, key: Self.storageKey(record, target: target, index: index),
                    bytes: image.bytes.bytes, contentType: record.parameters.format.mimeType, region: target.region)
            } catch {
                failure = "custom storage upload failed: \(error.message)"
            }
            if failure != nil { break }
        }
        metrics.recordStorage(outcome: failure == nil ? "stored" : "failed")
        if let failure { logger.warning("custom storage failed", [("task_id", record.id), ("error", failure)]) }
        store.settleStorage(id: record.id, failure: failure)
    }

    private func sendWebhook(for record: TaskRecord) {
        guard let webhook = record.extra.webhook else { return }
        let snapshot = TaskSnapshot(record: record, status: record.status, progressPercent: 0, etaSeconds: 0)
        var payload = TaskResultBody(signer: signer).json(for: snapshot).objectValue ?? [:]
        var extra = payload["extra"]?.objectValue ?? [:]
        extra["webhook"] = webhook.echo
        payload["extra"] = .object(extra)
        let event: JSONValue = ["event_type": "ASYNC_TASK_RESULT", "payload": .object(payload)]
        webhooks.enqueue(taskID: record.id, tenant: record.tenant, url: webhook.url, event: event)
    }

    /// `GET /__mock/webhooks[?api_key=&task_id=]`: every delivery attempt.
    func listWebhookAttempts(_ request: HTTPRequest) -> HTTPReply {
        var attempts = webhooks.attempts(tenant: request.queryValue("api_key"))
        if let taskID = request.queryValue("task_id") { attempts = attempts.filter { $0.taskID == taskID } }
        return .now(
            .json(["attempts": .array(attempts.map(\.json)), "pending": .number(JSONNumber(webhooks.pendingCount))]))
    }
}
