import FoundationEssentials
import Synchronization

public enum LogLevel: String, Sendable, CaseIterable, Comparable {
    case debug, info, warning, error

    private var rank: Int {
        switch self {
        case .debug: 0
        case .info: 1
        case .warning: 2
        case .error: 3
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rank < rhs.rank }
}

public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// Lines to standard error: `text` for people, `json` (one object per line) for log pipelines.
public struct Logger: Sendable {
    public let level: LogLevel
    public let format: LogFormat
    private let lock = LogLock()

    public init(level: LogLevel, format: LogFormat) {
        self.level = level
        self.format = format
    }

    public func log(_ messageLevel: LogLevel, _ message: String, _ fields: [(String, String)] = []) {
        guard messageLevel >= level else { return }
        let time = HTTPDate.iso8601(Int64(Date().timeIntervalSince1970 * 1000))
        var line: String
        switch format {
        case .text:
            line = "\(time) \(messageLevel.rawValue.uppercased()) \(message)"
            for (key, value) in fields { line += " \(key)=\(value)" }
        case .json:
            var object: JSONObject = [
                "time": .string(time), "level": .string(messageLevel.rawValue), "message": .string(message),
            ]
            for (key, value) in fields { object[key] = .string(value) }
            line = JSONWriter.string(.object(object))
        }
        line += "\n"
        // Unbuffered writes to fd 2, so lines survive a crash; a failed write has nowhere to go.
        lock.mutex.withLock { _ in try? FileIO.writeAll(2, Array(line.utf8), path: "standard error") }
    }

    public func info(_ message: String, _ fields: [(String, String)] = []) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [(String, String)] = []) { log(.warning, message, fields) }
    public func debug(_ message: String, _ fields: [(String, String)] = []) { log(.debug, message, fields) }
    public func error(_ message: String, _ fields: [(String, String)] = []) { log(.error, message, fields) }

    /// An API key as it may appear in logs: the first 4 characters and an ellipsis.
    public static func redact(_ key: String) -> String {
        String(key.prefix(4)) + "…"
    }
}

/// Serialises whole lines so concurrent log calls never interleave.
private final class LogLock: Sendable {
    let mutex = Mutex(())
}
