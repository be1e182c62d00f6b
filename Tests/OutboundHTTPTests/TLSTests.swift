import Foundation
import OutboundHTTP
import Testing

/// https against a real TLS server that is not GnuTLS (Python's `ssl`, OpenSSL underneath), with
/// a test CA whose leaf certificate names only 127.0.0.1, and an unrelated CA (`TLS/`, valid
/// until 2126).
@Suite("OutboundHTTPClient over TLS", .serialized)
struct TLSTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("TLS")
    static let caFile = directory.appendingPathComponent("ca.pem").path

    @Test func httpsWithTheTestCAIsVerifiedAndEchoes() throws {
        let server = try TLSEchoServer()
        defer { server.stop() }
        let client = OutboundHTTPClient(trustedCertificatesFile: Self.caFile)
        let body = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let response = try client.send(
            OutboundRequest(
                method: "PUT", url: "https://127.0.0.1:\(server.port)/bucket/key.png?x=1",
                headers: [(name: "Content-Type", value: "image/png")], body: body, timeoutMs: 10_000)
        ).get()
        #expect(response.status == 200)
        #expect(response.body == body)
        #expect(response.header("X-Echo-Method") == "PUT")
        #expect(response.header("X-Echo-Target") == "/bucket/key.png?x=1")
        #expect(response.header("X-Echo-Host") == "127.0.0.1:\(server.port)")
        #expect(["TLSv1.2", "TLSv1.3"].contains(response.header("X-TLS-Version") ?? ""))
    }

    @Test func aReceiverThatClosesMidUploadIsAnAnswerOrAnErrorNeverASignal() throws {
        // Before GNUTLS_NO_SIGNAL, the EPIPE of the next record write raised SIGPIPE and killed
        // the whole process (this test runner with it).
        let server = try TLSEchoServer(refusing: true)
        defer { server.stop() }
        let body = [UInt8](repeating: 7, count: 20 << 20)
        let result = OutboundHTTPClient(trustedCertificatesFile: Self.caFile).send(
            OutboundRequest(method: "PUT", url: "https://127.0.0.1:\(server.port)/big", body: body, timeoutMs: 10_000))
        switch result {
        case .success(let response): #expect(response.status == 413)
        case .failure(let error):
            guard case .failed = error else {
                Issue.record("expected the 413 or a send failure, got \(error)")
                return
            }
        }
    }

    @Test func untrustedCertificateIsRefused() throws {
        let server = try TLSEchoServer()
        defer { server.stop() }
        // Trusting only an unrelated CA (not the machine's store, which varies between machines).
        let client = OutboundHTTPClient(
            trustedCertificatesFile: Self.directory.appendingPathComponent("other-ca.pem").path)
        let result = client.send(
            OutboundRequest(method: "POST", url: "https://127.0.0.1:\(server.port)/hook", timeoutMs: 10_000))
        guard case .failed(let message) = result.failure else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(message.contains("TLS handshake with 127.0.0.1"), "\(message)")
        #expect(message.lowercased().contains("not trusted") || message.contains("signer"), "\(message)")
    }

    @Test func certificateForAnotherNameIsRefused() throws {
        let server = try TLSEchoServer()
        defer { server.stop() }
        // The certificate names 127.0.0.1; "localhost" reaches the same server but is not named.
        let result = OutboundHTTPClient(trustedCertificatesFile: Self.caFile).send(
            OutboundRequest(method: "POST", url: "https://localhost:\(server.port)/hook", timeoutMs: 10_000))
        guard case .failed(let message) = result.failure else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(message.contains("TLS handshake with localhost"), "\(message)")
        #expect(message.contains("name in the certificate does not match"), "\(message)")
    }

    @Test func missingCAFileFailsEveryHTTPSRequestSayingSo() {
        let client = OutboundHTTPClient(trustedCertificatesFile: "/nonexistent/ca.pem")
        let result = client.send(OutboundRequest(method: "GET", url: "https://127.0.0.1:1/", timeoutMs: 2000))
        guard case .failed(let message) = result.failure else {
            Issue.record("expected failed, got \(result)")
            return
        }
        #expect(message.contains("/nonexistent/ca.pem"))
    }
}

/// `TLS/echo_server.py` as a child process; it exits when its stdin closes.
final class TLSEchoServer {
    let port: Int
    private let process = Process()
    private let input = Pipe()

    /// - Parameter refusing: answer 413 at once and close without reading any body.
    init(refusing: Bool = false) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "python3", TLSTests.directory.appendingPathComponent("echo_server.py").path,
                TLSTests.directory.appendingPathComponent("server.pem").path,
                TLSTests.directory.appendingPathComponent("server.key").path,
            ] + (refusing ? ["refuse"] : [])
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line: [UInt8] = []
        while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != 0x0A {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw TLSEchoServerError(message: "echo_server.py printed no port: \(line)")
        }
        self.port = port
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

struct TLSEchoServerError: Error {
    var message: String
}
