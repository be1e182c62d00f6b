import FoundationEssentials
import Logging
import Synchronization

/// A swift-log handler that writes one line per message, in the mock's two formats:
///
/// - `text`: `2026-01-02T03:04:05.678Z INFO message key=value key=value`
/// - `json`: `{"time":"…","level":"info","message":"…","key":"value"}`
///
/// Metadata keys are written in sorted order. Lines go out whole and unbuffered, so concurrent
/// messages never interleave and lines survive a crash.
struct LineLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    let format: LogFormat
    let write: @Sendable (String) -> Void

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let time = HTTPDate.iso8601(Int64(Date().timeIntervalSince1970 * 1000))
        let level = LogLevel(event.level).rawValue
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }.sorted { $0.key < $1.key }
        var line: String
        switch format {
        case .text:
            line = "\(time) \(level.uppercased()) \(event.message)"
            for (key, value) in fields { line += " \(key)=\(Self.text(value))" }
        case .json:
            var object: JSONObject = [
                "time": .string(time), "level": .string(level), "message": .string(event.message.description),
            ]
            // A field never replaces the line's own keys: `message` becomes `message_field`.
            for (key, value) in fields {
                let name = ["time", "level", "message"].contains(key) ? key + "_field" : key
                object[name] = .string(Self.text(value))
            }
            line = JSONWriter.string(.object(object))
        }
        write(line + "\n")
    }

    private static func text(_ value: Logger.MetadataValue) -> String {
        if case .string(let string) = value { return string }
        return value.description
    }

    /// Serialises whole lines so concurrent log calls never interleave.
    private static let lock = Mutex(())

    /// Unbuffered writes to fd 2; a failed write has nowhere to go.
    static let writeToStandardError: @Sendable (String) -> Void = { line in
        lock.withLock { _ in try? FileIO.writeAll(2, Array(line.utf8), path: "standard error") }
    }
}
