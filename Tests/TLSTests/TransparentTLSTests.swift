import Foundation
import MicroHTTP
import OutboundHTTP
import Synchronization
import TLSCertificates
import Testing

/// The certificates `novita-mock tls init` makes, served by libmicrohttpd over GnuTLS, checked by
/// a verifying client (GnuTLS's, in OutboundHTTP) that trusts only the authority given.
@Suite("Transparent-mode TLS")
struct TransparentTLSTests {
    /// A temporary directory holding `ca.pem`, removed by the caller.
    static func writeTemporary(_ text: String, name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aServerCertificateCarriesItsNamesAndVerifiesAgainstItsAuthority() throws {
        let authority = try CertificateAuthority.generate(commonName: "test CA")
        #expect(authority.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(authority.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reloaded = try CertificateAuthority(
            certificatePEM: authority.certificatePEM, privateKeyPEM: authority.privateKeyPEM)
        let leaf = try reloaded.issueServerCertificate(
            dnsNames: ["localhost", "api.novita.ai"], ipAddresses: ["127.0.0.1"])
        #expect(leaf.certificatePEM != authority.certificatePEM)
        // A key that is not the certificate's is refused.
        #expect(throws: TLSCertificateError.self) {
            try CertificateAuthority(certificatePEM: authority.certificatePEM, privateKeyPEM: leaf.privateKeyPEM)
        }
        try IssuedCertificate.checkPair(certificatePEM: leaf.certificatePEM, privateKeyPEM: leaf.privateKeyPEM)
        #expect(throws: TLSCertificateError.self) {
            try IssuedCertificate.checkPair(certificatePEM: leaf.certificatePEM, privateKeyPEM: authority.privateKeyPEM)
        }
        #expect(throws: TLSCertificateError.self) {
            try IssuedCertificate.checkPair(certificatePEM: "not PEM", privateKeyPEM: leaf.privateKeyPEM)
        }
        #expect(throws: TLSCertificateError.self) { try authority.issueServerCertificate(dnsNames: ["a b"]) }
        #expect(throws: TLSCertificateError.self) { try authority.issueServerCertificate(dnsNames: []) }
    }

    @Test func httpsIsServedAndVerifiedAndAnotherAuthorityIsRefused() throws {
        let authority = try CertificateAuthority.generate(commonName: "test CA")
        let leaf = try authority.issueServerCertificate(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.tls = TLSIdentity(certificatePEM: leaf.certificatePEM, privateKeyPEM: leaf.privateKeyPEM)
        let sawSecure = Mutex<Bool?>(nil)
        let server = try HTTPServer(configuration: configuration) { request in
            sawSecure.withLock { $0 = request.isSecure }
            return .now(
                HTTPResponse(
                    status: 200, headers: ["Content-Type": "text/plain"], body: Array("ok \(request.path)".utf8)))
        }
        defer { server.shutdown(graceSeconds: 0) }
        #expect(server.isTLS)

        let caFile = try Self.writeTemporary(authority.certificatePEM, name: "ca.pem")
        defer { try? FileManager.default.removeItem(atPath: (caFile as NSString).deletingLastPathComponent) }
        for host in ["localhost", "127.0.0.1"] {
            let response = try OutboundHTTPClient(trustedCertificatesFile: caFile).send(
                OutboundRequest(method: "GET", url: "https://\(host):\(server.port)/hello", timeoutMs: 10_000)
            ).get()
            #expect(response.status == 200)
            #expect(response.body == Array("ok /hello".utf8))
        }
        #expect(sawSecure.withLock { $0 } == true)

        let other = try CertificateAuthority.generate(commonName: "another CA")
        let otherFile = try Self.writeTemporary(other.certificatePEM, name: "other.pem")
        defer { try? FileManager.default.removeItem(atPath: (otherFile as NSString).deletingLastPathComponent) }
        let refused = OutboundHTTPClient(trustedCertificatesFile: otherFile).send(
            OutboundRequest(method: "GET", url: "https://localhost:\(server.port)/hello", timeoutMs: 10_000))
        guard case .failure = refused else {
            Issue.record("a server certificate from another authority was accepted: \(refused)")
            return
        }
    }

    @Test func aKeyThatIsNotTheCertificatesFailsToStartWithAClearError() throws {
        let authority = try CertificateAuthority.generate(commonName: "test CA")
        let leaf = try authority.issueServerCertificate(dnsNames: ["localhost"])
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.tls = TLSIdentity(certificatePEM: leaf.certificatePEM, privateKeyPEM: authority.privateKeyPEM)
        #expect(throws: HTTPServerError.self) { try HTTPServer(configuration: configuration) { _ in .now(.drop) } }
    }
}
