import Foundation

/// Runs the binary with `arguments` on a free loopback port, for options it must refuse at
/// start: the exit status and what it wrote to standard error.
enum StartupRefusal {
    static func run(_ arguments: [String]) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = MockProcess.binary
        process.arguments = ["--host", "127.0.0.1", "--port", "0"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationReason == .exit ? process.terminationStatus : -1, output)
    }
}
