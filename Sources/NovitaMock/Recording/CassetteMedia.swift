import ASCIIText
import Digests
import MicroHTTP
import OutboundHTTP
import Synchronization

/// The media files of a cassette (`DIR/media/<sha256>.<ext>`): stored while recording, served
/// at `/recorded-media/<file>` to the client, so a replay needs no network and no signature.
struct CassetteMedia: Sendable {
    static let pathPrefix = "/recorded-media/"
    let directory: String
    /// Files already stored, by URL without its query: a task polled ten times after it ended
    /// is downloaded once.
    private let stored = StoredMedia()

    private final class StoredMedia: Sendable {
        let files = Mutex<[String: String]>([:])
    }

    init(cassette: String) {
        directory = (cassette.hasSuffix("/") ? String(cassette.dropLast()) : cassette) + "/media"
    }

    /// Whether a response field named `key` holding `value` points at media to keep: the
    /// `*_url` fields of results (`image_url`, `video_url` …), not an upload target.
    static func isMediaURL(key: String, value: String) -> Bool {
        let lower = value.lowercased()
        return key.hasSuffix("_url") && key != "upload_url"
            && (lower.hasPrefix("http://") || lower.hasPrefix("https://"))
    }

    /// The last key of a JSON path as `replacingStrings` spells it (`images[0].image_url` → `image_url`).
    static func lastKey(of path: String) -> String {
        let tail = path.split(separator: ".").last.map(String.init) ?? path
        return tail.split(separator: "[").first.map(String.init) ?? tail
    }

    /// The body with each media URL downloaded into the cassette and replaced by its file's
    /// name; a URL that cannot be fetched loses its query (the signature) and stays.
    func capture(_ body: JSONValue, client: OutboundHTTPClient, logger: Logger) -> JSONValue {
        body.replacingStrings { path, value in
            if value.utf8.count > Self.inlineMediaMinimum, let name = storeInline(value, logger: logger) {
                return CassetteExchange.inlineMediaScheme + name
            }
            guard Self.isMediaURL(key: Self.lastKey(of: path), value: value) else { return nil }
            let unsigned = String(value.prefix { $0 != "?" })
            if let known = stored.files.withLock({ $0[unsigned] }) { return CassetteExchange.mediaScheme + known }
            switch client.send(OutboundRequest(method: "GET", url: value, timeoutMs: 300_000)) {
            case .success(let response) where (200..<300).contains(response.status):
                let name =
                    Hex.string(SHA256.hash(response.body).prefix(16)) + "."
                    + Self.fileExtension(contentType: response.header("Content-Type"), url: value)
                do {
                    try FileIO.makeDirectory(directory)
                    if !FileIO.exists(directory + "/" + name) {
                        try FileIO.writeAtomically(response.body, to: directory + "/" + name, mode: 0o644)
                    }
                    stored.files.withLock { $0[unsigned] = name }
                    return CassetteExchange.mediaScheme + name
                } catch {
                    logger.warning("cassette: cannot store media", [("error", "\(error)")])
                }
            case .success(let response):
                logger.warning(
                    "cassette: media download refused", [("status", String(response.status)), ("path", path)])
            case .failure(let error):
                logger.warning("cassette: media download failed", [("error", "\(error)"), ("path", path)])
            }
            return unsigned
        }
    }

    /// Strings shorter than this stay in the exchange file, whatever they hold.
    static let inlineMediaMinimum = 4096

    /// A sync editor's base64 image (`image_file`) kept as a file of `media/`, so the exchange
    /// stays small enough to read; nil when the text is not base64 of media.
    private func storeInline(_ text: String, logger: Logger) -> String? {
        guard let bytes = try? Base64.decode(Substring(text).utf8, maxBytes: 1 << 30),
            let ext = Self.mediaExtension(of: bytes)
        else { return nil }
        let name = Hex.string(SHA256.hash(bytes).prefix(16)) + "." + ext
        do {
            try FileIO.makeDirectory(directory)
            if !FileIO.exists(directory + "/" + name) {
                try FileIO.writeAtomically(bytes, to: directory + "/" + name, mode: 0o644)
            }
            return name
        } catch {
            logger.warning("cassette: cannot store media", [("error", "\(error)")])
            return nil
        }
    }

    /// The extension of a media file recognised by its first bytes, or nil.
    static func mediaExtension(of bytes: [UInt8]) -> String? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && Array(bytes[offset..<offset + prefix.count]) == prefix
        }
        if starts([0x89, 0x50, 0x4E, 0x47]) { return "png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "jpeg" }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return "webp" }
        if starts(Array("GIF8".utf8)) { return "gif" }
        if starts(Array("ftyp".utf8), at: 4) { return "mp4" }
        return nil
    }

    static func fileExtension(contentType: String?, url: String) -> String {
        let media = contentType?.split(separator: ";").first.map { $0.trimmingSpaces.lowercased() } ?? ""
        switch media {
        case "image/png": return "png"
        case "image/jpeg": return "jpeg"
        case "image/webp": return "webp"
        case "image/gif": return "gif"
        case "video/mp4": return "mp4"
        case "audio/mpeg": return "mp3"
        case "audio/wav", "audio/x-wav": return "wav"
        default: break
        }
        let path = url.prefix { $0 != "?" && $0 != "#" }
        if let dot = path.lastIndex(of: "."), !path[dot...].contains("/") {
            let ext = path[path.index(after: dot)...].lowercased()
            if (1...5).contains(ext.count) && ext.allSatisfy({ $0.isLetter || $0.isNumber }) { return ext }
        }
        return "bin"
    }

    static func contentType(ofFile name: String) -> String {
        switch name.split(separator: ".").last.map(String.init) ?? "" {
        case "png": "image/png"
        case "jpeg", "jpg": "image/jpeg"
        case "webp": "image/webp"
        case "gif": "image/gif"
        case "mp4": "video/mp4"
        case "mp3": "audio/mpeg"
        case "wav": "audio/wav"
        default: "application/octet-stream"
        }
    }

    /// `GET|HEAD /recorded-media/<file>`: the stored bytes, with ranges (players seek).
    func serve(_ request: HTTPRequest) -> HTTPReply {
        let name = String(request.path.dropFirst(Self.pathPrefix.count))
        let valid =
            !name.isEmpty && !name.hasPrefix(".")
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: ".")
            }
        guard valid, let bytes = try? FileIO.read(directory + "/" + name) else {
            return .now(
                MediaController.s3Error(
                    404, code: "NoSuchKey", message: "The specified key does not exist.", resource: request.path))
        }
        let shared = SharedBytes(bytes)
        let image = EncodedImage(bytes: shared, etag: "\"" + String(name.prefix { $0 != "." }) + "\"")
        return .now(
            MediaController.mediaResponse(
                image, contentType: Self.contentType(ofFile: name), lastModifiedMs: 0, maxAge: 3600, request: request))
    }

    /// A stored body as the client sees it: media names → the mock's URLs (or the file's base64
    /// where the upstream sent it inline), upstream task ids → the mock's (`taskID` mints one for
    /// a `task_id` the map does not know yet).
    func clientBody(_ stored: JSONValue, base: String, taskID: (String, _ isTaskIDField: Bool) -> String?)
        -> JSONValue
    {
        stored.replacingStrings { path, value in
            if value.hasPrefix(CassetteExchange.mediaScheme) {
                return base + Self.pathPrefix + value.dropFirst(CassetteExchange.mediaScheme.count)
            }
            if value.hasPrefix(CassetteExchange.inlineMediaScheme) {
                let name = value.dropFirst(CassetteExchange.inlineMediaScheme.count)
                guard !name.contains("/"), let bytes = try? FileIO.read(directory + "/" + name) else { return nil }
                return Base64.encode(bytes)
            }
            return taskID(value, Self.lastKey(of: path) == "task_id")
        }
    }
}
