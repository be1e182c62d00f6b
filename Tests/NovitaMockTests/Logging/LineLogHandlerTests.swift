import Foundation
import Synchronization
import Testing

@testable import NovitaMock

/// Collects the lines a logger writes.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func logger(level: LogLevel = .debug, format: LogFormat = .text) -> Logger {
        Logger(level: level, format: format) { line in self.lines.withLock { $0.append(line) } }
    }
}

@Suite("Log lines (swift-log handler)")
struct LineLogHandlerTests {
    @Test func textLinesKeepTheirShape() throws {
        let lines = LogLines()
        lines.logger(format: .text).info("novita-mock listening", [("port", "8080"), ("host", "127.0.0.1")])
        let line = try #require(lines.all.first)
        let pattern =
            #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO novita-mock listening host=127\.0\.0\.1 port=8080\n$"#
        #expect(line.range(of: pattern, options: .regularExpression) != nil, "\(line)")
    }

    @Test func jsonLinesAreOneObjectEach() throws {
        let lines = LogLines()
        lines.logger(format: .json).warning(
            "custom storage failed", [("task_id", "t-1"), ("error", "a \"quoted\" word")])
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        let object = try #require(JSONParser.parse(Array(line.utf8)).objectValue)
        #expect(object.entries.map(\.key) == ["time", "level", "message", "error", "task_id"])
        #expect(object["level"]?.stringValue == "warning")
        #expect(object["message"]?.stringValue == "custom storage failed")
        #expect(object["error"]?.stringValue == "a \"quoted\" word")
    }

    @Test func aFieldNeverReplacesTheLinesOwnKeys() throws {
        let lines = LogLines()
        lines.logger(format: .json).info("the line", [("message", "a field"), ("level", "x")])
        let line = try #require(lines.all.first)
        let object = try #require(JSONParser.parse(Array(line.utf8)).objectValue)
        #expect(object["message"]?.stringValue == "the line")
        #expect(object["level"]?.stringValue == "info")
        #expect(object["message_field"]?.stringValue == "a field")
        #expect(object["level_field"]?.stringValue == "x")
    }

    @Test func theConfigurationReadsBack() {
        let logger = Logger(level: .warning, format: .json)
        #expect(logger.level == .warning)
        #expect(logger.format == .json)
    }

    @Test func levelsBelowTheConfiguredOneAreDropped() {
        let lines = LogLines()
        let logger = lines.logger(level: .warning)
        logger.info("quiet", [])
        logger.debug("quieter", [])
        logger.error("loud", [])
        #expect(lines.all.count == 1)
        #expect(lines.all.first?.contains(" ERROR loud") == true)
    }
}
