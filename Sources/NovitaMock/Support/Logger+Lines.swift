public import Logging

/// The mock logs through swift-log; `LineLogHandler` writes its lines.
public typealias Logger = Logging.Logger

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

    /// swift-log's level of the same name.
    var swiftLogLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }

    /// The nearest of ours to a swift-log level: `trace` reads as debug, `notice` as info,
    /// `critical` as error.
    init(_ level: Logger.Level) {
        switch level {
        case .trace, .debug: self = .debug
        case .info, .notice: self = .info
        case .warning: self = .warning
        case .error, .critical: self = .error
        }
    }
}

public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

extension Logger {
    /// Lines to standard error: `text` for people, `json` (one object per line) for log pipelines.
    public init(level: LogLevel, format: LogFormat) {
        self.init(level: level, format: format, write: LineLogHandler.writeToStandardError)
    }

    /// Lines to `write` instead of standard error (tests read them).
    init(level: LogLevel, format: LogFormat, write: @escaping @Sendable (String) -> Void) {
        self.init(label: "novita-mock") { _ in LineLogHandler(format: format, write: write) }
        logLevel = level.swiftLogLevel
    }

    /// The lowest level written, in the mock's terms.
    public var level: LogLevel { LogLevel(logLevel) }

    /// The line format; `text` for a logger whose handler is not the mock's.
    public var format: LogFormat { (handler as? LineLogHandler)?.format ?? .text }

    /// Whether debug lines are written: callers skip work that only a debug line needs.
    var logsDebug: Bool { logLevel <= .debug }

    /// Logs `message` with `fields` as metadata (written sorted by key).
    public func log(_ level: LogLevel, _ message: String, _ fields: [(String, String)]) {
        log(
            level: level.swiftLogLevel, "\(message)",
            metadata: fields.isEmpty ? nil : Metadata(fields.map { ($0.0, .string($0.1)) }, uniquingKeysWith: { $1 }))
    }

    public func debug(_ message: String, _ fields: [(String, String)]) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: [(String, String)]) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [(String, String)]) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: [(String, String)]) { log(.error, message, fields) }

    /// An API key as it may appear in logs: the first 4 characters and an ellipsis.
    public static func redact(_ key: String) -> String {
        String(key.prefix(4)) + "…"
    }
}
