import Foundation
import Glibc
import OutboundHTTP
import Testing

@testable import NovitaMock

/// A real `moto_server` (moto's S3-compatible server) on a free loopback port, started for one
/// suite by the `.motoServer` trait and killed when the suite ends.
///
/// Process is not Sendable; this wrapper is only started and stopped by the trait, in order.
final class MotoServer: @unchecked Sendable {
    @TaskLocal static var current: MotoServer?

    let endpoint: String
    /// Keys moto accepts: anything when it does not check signatures, else an IAM user's.
    let credentials: S3Credentials
    private let process: Process
    private let logPath: String

    static let installHint =
        "moto_server was not found on PATH. The storage tests need a real S3-compatible server: "
        + "install it with `pip install 'moto[server]'` (scripts/test does this), then run the tests again."

    /// Starts moto and waits (at most 30 s) until it answers HTTP.
    ///
    /// - Parameter verifySignatures: moto then checks every S3 request's SigV4 signature against an
    ///   IAM user it creates first (its first three actions are the only unauthenticated ones).
    static func start(verifySignatures: Bool) throws -> MotoServer {
        guard let executable = findOnPath("moto_server") else { throw MotoError(installHint) }
        let port = try freeLoopbackPort()
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent(
            "moto-\(port)-\(UUID().uuidString).log"
        ).path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-H", "127.0.0.1", "-p", String(port)]
        var environment = ProcessInfo.processInfo.environment
        if verifySignatures { environment["INITIAL_NO_AUTH_ACTION_COUNT"] = "3" }
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let endpoint = "http://127.0.0.1:\(port)"
        var server = MotoServer(
            endpoint: endpoint, credentials: S3Credentials(accessKeyID: "test", secretAccessKey: "test"),
            process: process, logPath: logPath)
        do {
            try server.waitUntilAnswering()
            if verifySignatures {
                let keys = try runPython(createIAMUser, [endpoint]).split(separator: " ").map(String.init)
                guard keys.count == 2 else { throw MotoError("moto's IAM user setup printed \(keys)") }
                server = MotoServer(
                    endpoint: endpoint, credentials: S3Credentials(accessKeyID: keys[0], secretAccessKey: keys[1]),
                    process: process, logPath: logPath)
            }
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    private init(endpoint: String, credentials: S3Credentials, process: Process, logPath: String) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.process = process
        self.logPath = logPath
    }

    private func waitUntilAnswering() throws {
        let client = OutboundHTTPClient()
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw MotoError("moto_server exited early; its log:\n\(logTail())") }
            // moto-api is not an AWS action, so it does not use up INITIAL_NO_AUTH_ACTION_COUNT.
            let probe = OutboundRequest(method: "GET", url: endpoint + "/moto-api/data.json", timeoutMs: 1000)
            if case .success(let response) = client.send(probe), response.status == 200 {
                return
            }
            usleep(100_000)
        }
        throw MotoError("moto_server did not answer on \(endpoint) within 30 s; its log:\n\(logTail())")
    }

    /// SIGTERM, then SIGKILL if it has not exited within 5 s.
    func stop() {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: logPath)
    }

    func logTail() -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    /// Creates a bucket with an S3 PUT signed by our own signer (us-east-1 needs no body).
    func createBucket(_ bucket: String) throws {
        let url = "\(endpoint)/\(bucket)"
        let headers = AWSSignatureV4.authorizationHeaders(
            method: "PUT", url: try #require(OutboundURL(url)), headers: [],
            payloadSHA256Hex: AWSSignatureV4.emptyPayloadSHA256Hex, region: "us-east-1", credentials: credentials,
            nowEpochMs: Self.nowEpochMs())
        let response = try OutboundHTTPClient().send(OutboundRequest(method: "PUT", url: url, headers: headers)).get()
        guard response.status == 200 else {
            throw MotoError(
                "creating bucket \(bucket) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))"
            )
        }
    }

    /// Reads an object back through boto3 (an independent S3 client): its bytes and Content-Type.
    func getObjectWithBoto3(bucket: String, key: String) throws -> (bytes: [UInt8], contentType: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("moto-get-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let contentType = try Self.runPython(
            Self.getObject, [endpoint, bucket, key, output, credentials.accessKeyID, credentials.secretAccessKey])
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
        return (bytes, contentType)
    }

    static func nowEpochMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    private static let createIAMUser = """
        import sys, json, boto3
        iam = boto3.client('iam', endpoint_url=sys.argv[1], region_name='us-east-1',
                           aws_access_key_id='test', aws_secret_access_key='test')
        iam.create_user(UserName='mock')
        key = iam.create_access_key(UserName='mock')['AccessKey']
        iam.put_user_policy(UserName='mock', PolicyName='s3', PolicyDocument=json.dumps({'Version': '2012-10-17',
            'Statement': [{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}]}))
        print(key['AccessKeyId'], key['SecretAccessKey'], end='')
        """

    private static let getObject = """
        import sys, boto3
        endpoint, bucket, key, output, access_key, secret = sys.argv[1:]
        s3 = boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1',
                          aws_access_key_id=access_key, aws_secret_access_key=secret)
        response = s3.get_object(Bucket=bucket, Key=key)
        with open(output, 'wb') as f:
            f.write(response['Body'].read())
        print(response['ContentType'], end='')
        """

    /// Runs `python3 -c script args…` and returns its stdout; throws with stderr on failure.
    static func runPython(_ script: String, _ arguments: [String]) throws -> String {
        guard let python = findOnPath("python3") else { throw MotoError("python3 (with boto3) is not on PATH") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script] + arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw MotoError(
                "python3 failed (\(process.terminationStatus)): \(String(decoding: err, as: UTF8.self).suffix(1500))")
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Binds port 0 on loopback, reads the port and releases it for moto to take.
    static func freeLoopbackPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MotoError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw MotoError("could not bind a loopback port: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }
}

struct MotoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a suite with one `moto_server` for all its tests (`MotoServer.current`), stopped after.
struct MotoServerTrait: SuiteTrait, TestScoping {
    var verifySignatures: Bool
    var isRecursive: Bool { false }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let server = try MotoServer.start(verifySignatures: verifySignatures)
        defer { server.stop() }
        try await MotoServer.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == MotoServerTrait {
    static func motoServer(verifySignatures: Bool = false) -> MotoServerTrait {
        MotoServerTrait(verifySignatures: verifySignatures)
    }
}

extension MotoServer {
    /// The suite's server, or a failure that says how to get one.
    static func required() throws -> MotoServer {
        guard let server = current else { throw MotoError("no moto_server for this test: \(installHint)") }
        return server
    }
}
