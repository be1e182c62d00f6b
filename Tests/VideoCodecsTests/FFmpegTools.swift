import Foundation

/// Debian's `ffprobe` and `ffmpeg`, run as independent judges of the files the codecs write.
/// Test-only: `scripts/install-test-tools` installs them.
enum FFmpegTools {
    static let ffprobe = findOnPath("ffprobe")
    static let ffmpeg = findOnPath("ffmpeg")
    static var available: Bool { ffprobe != nil && ffmpeg != nil }
    static let missingMessage =
        "ffprobe/ffmpeg not found on PATH: the video tests judge files with them; "
        + "install Debian's ffmpeg (scripts/install-test-tools does) and run again"

    struct Output {
        let status: Int32
        let standardOutput: String
        let standardError: String
        let data: Data
    }

    /// Runs `tool` with `arguments` to completion.
    static func run(_ tool: String?, _ arguments: [String]) throws -> Output {
        guard let tool else { throw ToolError(missingMessage) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let out = Pipe()
        // stderr to a file: reading two pipes in turn can stall a tool that fills the other one.
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent(
            "video-codecs-stderr-\(UUID().uuidString)"
        ).path
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        let errorHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardOutput = out
        process.standardError = errorHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errorHandle.close()
        let errData = FileManager.default.contents(atPath: errorPath) ?? Data()
        return Output(
            status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errData, as: UTF8.self), data: outData)
    }

    /// `ffprobe -show_streams -show_format` of the first video stream, as key=value pairs
    /// (`-count_frames` adds `nb_read_frames`, decoded rather than read from the container).
    static func probe(_ path: String) throws -> [String: String] {
        let output = try run(
            ffprobe,
            [
                "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                "stream=codec_name,profile,width,height,pix_fmt,r_frame_rate,avg_frame_rate,nb_frames,"
                    + "nb_read_frames,duration,color_space:format=format_name,duration",
                "-of", "default=noprint_wrappers=1", path,
            ])
        guard output.status == 0 else { throw ToolError("ffprobe failed: \(output.standardError)") }
        var fields: [String: String] = [:]
        for line in output.standardOutput.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            // format's duration follows the stream's; keep both apart.
            let name = fields[key] == nil ? key : "format_\(key)"
            fields[name] = String(line[line.index(after: equals)...])
        }
        return fields
    }

    /// Decodes frame `index` of `path` with ffmpeg to a PNG and returns the PNG's bytes.
    static func extractFramePNG(_ path: String, index: Int, to pngPath: String? = nil) throws -> [UInt8] {
        let target = pngPath ?? (path + ".frame\(index).png")
        let output = try run(
            ffmpeg,
            [
                "-v", "error", "-y", "-i", path, "-vf", "select=eq(n\\,\(index))", "-frames:v", "1", "-pix_fmt",
                "rgb24",
                target,
            ])
        guard output.status == 0 else { throw ToolError("ffmpeg frame extraction failed: \(output.standardError)") }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: target)))
    }

    private static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
