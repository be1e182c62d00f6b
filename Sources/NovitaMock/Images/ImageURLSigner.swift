import Digests
import ImageCodecs

/// Makes and checks the image URLs (docs/contract.md §7): shaped like S3 presigned URLs, signed with
/// HMAC-SHA256 over path, date and expiry with a server secret, expiring on the mock's clock.
struct ImageURLSigner: Sendable {
    static let pathPrefix = "/faas-output-image/prod/"
    /// Where a video task's clip is served (docs/contract.md §14), signed the same way.
    static let videoPathPrefix = "/faas-output-video/prod/"
    static let expirySeconds: Int64 = 3600

    private let secret: [UInt8]

    init(secret: [UInt8]) {
        self.secret = secret
    }

    /// The file name stem of image `index` of a task: 32 hex characters derived from the task
    /// id, so it is stable, unguessable without the id, and needs no storage.
    static func fileID(taskID: String, index: Int) -> String {
        let digest = SHA256.hash("\(taskID)/\(index)".utf8)
        return Hex.string(digest.prefix(16))
    }

    static func path(taskID: String, index: Int, format: ImageFormat) -> String {
        "\(pathPrefix)\(taskID)/\(fileID(taskID: taskID, index: index)).\(format.fileExtension)"
    }

    func signature(path: String, amzDate: String, expires: Int64) -> String {
        let message = "\(path)\n\(amzDate)\n\(expires)".utf8
        return Hex.string(HMACSHA256.authenticationCode(key: secret, message: message))
    }

    /// The path of a video task's clip: one file per task, named like image 0.
    static func videoPath(taskID: String, container: VideoParameters.Container) -> String {
        "\(videoPathPrefix)\(taskID)/\(fileID(taskID: taskID, index: 0)).\(container.fileExtension)"
    }

    /// The full signed URL of one image, issued at `issuedAtMs` (the task's completion).
    func url(base: String, taskID: String, index: Int, format: ImageFormat, issuedAtMs: Int64) -> String {
        url(base: base, path: Self.path(taskID: taskID, index: index, format: format), issuedAtMs: issuedAtMs)
    }

    /// The full signed URL of a video task's clip, issued at `issuedAtMs` (the task's completion).
    func videoURL(base: String, taskID: String, container: VideoParameters.Container, issuedAtMs: Int64) -> String {
        url(base: base, path: Self.videoPath(taskID: taskID, container: container), issuedAtMs: issuedAtMs)
    }

    private func url(base: String, path: String, issuedAtMs: Int64) -> String {
        let date = HTTPDate.amzDate(issuedAtMs)
        let signature = signature(path: path, amzDate: date, expires: Self.expirySeconds)
        return
            "\(base)\(path)?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=\(date)&X-Amz-Expires=\(Self.expirySeconds)&X-Amz-SignedHeaders=host&X-Amz-Signature=\(signature)"
    }

    /// What a download's path and query say.
    enum Verdict: Equatable {
        /// Signed and in date: the object it names, and the moment the URL expires.
        case valid(taskID: String, fileID: String, fileExtension: String, expiresAtMs: Int64)
        case badSignature
        case expired
    }

    /// Checks signature first, then expiry (docs/contract.md §7 order); existence is the caller's.
    func verify(
        path: String, query: [(name: String, value: String)], nowMs: Int64, prefix: String = pathPrefix
    ) -> Verdict {
        func value(_ name: String) -> String? { query.first { $0.name == name }?.value }
        guard let date = value("X-Amz-Date"), let expiresText = value("X-Amz-Expires"),
            let expires = Int64(expiresText), let given = value("X-Amz-Signature")
        else { return .badSignature }
        let expected = signature(path: path, amzDate: date, expires: expires)
        guard Self.constantTimeEqual(Array(given.lowercased().utf8), Array(expected.utf8)) else { return .badSignature }
        guard let issued = HTTPDate.parseAmzDate(date) else { return .badSignature }
        // S3 accepts 1 s to 7 days; anything else (and an overflowing sum) is not a live URL.
        guard (1...604_800).contains(expires) else { return .expired }
        let expiresAt = issued + expires * 1000
        guard nowMs < expiresAt else { return .expired }
        let rest = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard path.hasPrefix(prefix), rest.count == 2, let dot = rest[1].lastIndex(of: ".") else {
            return .badSignature
        }
        return .valid(
            taskID: String(rest[0]), fileID: String(rest[1][..<dot]),
            fileExtension: String(rest[1][rest[1].index(after: dot)...]), expiresAtMs: expiresAt)
    }

    /// Compares every byte when the lengths agree. A length mismatch returns at once: the length
    /// of a signature (64 hex digits) is public, unlike that of a key (see `SecretDigest`).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
