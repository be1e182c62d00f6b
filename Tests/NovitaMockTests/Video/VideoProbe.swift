import Foundation

/// Debian's `ffprobe`, the independent judge of the clips the mock serves (test-only; the same
/// few lines as the VideoCodecs tests' `FFmpegTools`, since test targets do not share code).
enum VideoProbe {
    static let ffprobe = onPath("ffprobe")
    static let ffmpeg = onPath("ffmpeg")
    static var available: Bool { ffprobe != nil && ffmpeg != nil }
    static let missingMessage =
        "ffprobe/ffmpeg not found on PATH: install Debian's ffmpeg (scripts/install-test-tools does)"

    /// The first video stream of `bytes` as ffprobe reads it (frames decoded and counted), as
    /// key=value pairs; the container's duration is `format_duration`.
    static func probe(_ bytes: [UInt8], fileExtension: String) throws -> [String: String] {
        let path = try temporaryFile(bytes, fileExtension: fileExtension)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = try run(
            ffprobe,
            [
                "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                "stream=codec_name,width,height,pix_fmt,r_frame_rate,nb_read_frames,duration:format=format_name,duration",
                "-of", "default=noprint_wrappers=1", path,
            ])
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            fields[fields[key] == nil ? key : "format_\(key)"] = String(line[line.index(after: equals)...])
        }
        return fields
    }

    /// Decodes frame `index` of a clip to a PNG at `pngPath` with ffmpeg.
    static func extractFrame(_ bytes: [UInt8], fileExtension: String, index: Int, to pngPath: String) throws {
        let path = try temporaryFile(bytes, fileExtension: fileExtension)
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try run(
            ffmpeg,
            ["-v", "error", "-y", "-i", path, "-vf", "select=eq(n\\,\(index))", "-frames:v", "1", pngPath])
    }

    private static func temporaryFile(_ bytes: [UInt8], fileExtension: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("novita-mock-video-\(UUID().uuidString).\(fileExtension)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private static func run(_ tool: String?, _ arguments: [String]) throws -> String {
        guard let tool else { throw ProbeError(message: missingMessage) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProbeError(message: "\(tool) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    struct ProbeError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
