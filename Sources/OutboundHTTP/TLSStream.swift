import CGnuTLS
import Glibc

/// The certificate authorities outbound https trusts, loaded once and shared by every session
/// (GnuTLS credentials are read-only after set-up, so sessions on many threads may share them).
final class TLSTrust: @unchecked Sendable {
    /// Debian's bundle: what the Docker image copies in, and where `ca-certificates` puts it.
    static let debianBundle = "/etc/ssl/certs/ca-certificates.crt"

    /// The process default: the PEM file named by `SSL_CERT_FILE` when set (the variable OpenSSL
    /// and curl read), else the system trust store, else Debian's bundle. Loaded on first https use.
    static let system = TLSTrust(certificatesFile: getenv("SSL_CERT_FILE").map { String(cString: $0) })

    let credentials: gnutls_certificate_credentials_t?
    /// Why no authority is trusted (every https request fails with it), or nil.
    let problem: String?

    init(certificatesFile: String?) {
        var credentials: gnutls_certificate_credentials_t? = nil
        guard gnutls_certificate_allocate_credentials(&credentials) == GNUTLS_E_SUCCESS else {
            self.credentials = nil
            problem = "GnuTLS could not allocate certificate credentials"
            return
        }
        self.credentials = credentials
        if let file = certificatesFile {
            let count = gnutls_certificate_set_x509_trust_file(credentials, file, GNUTLS_X509_FMT_PEM)
            problem =
                count > 0
                ? nil
                : count == 0
                    ? "no certificates in \(file)"
                    : "cannot read certificates from \(file): \(String(cString: gnutls_strerror(count)))"
            return
        }
        if gnutls_certificate_set_x509_system_trust(credentials) > 0 {
            problem = nil
        } else if gnutls_certificate_set_x509_trust_file(credentials, Self.debianBundle, GNUTLS_X509_FMT_PEM) > 0 {
            problem = nil
        } else {
            problem = "no trusted certificate authorities (system store empty, \(Self.debianBundle) missing)"
        }
    }

    deinit { gnutls_certificate_free_credentials(credentials) }
}

/// TLS (whatever GnuTLS's default priorities allow: 1.2 and 1.3) over a non-blocking socket,
/// with the server's certificate verified against `TLSTrust` and the URL's host.
final class TLSStream: ByteStream {
    private let socket: SocketStream
    private let session: gnutls_session_t
    /// Keeps the credentials alive as long as the session refers to them.
    private let trust: TLSTrust

    init(over socket: SocketStream, host: String, sendServerName: Bool, trust: TLSTrust, before deadline: Deadline)
        throws(TransportFailure)
    {
        var session: gnutls_session_t? = nil
        // GNUTLS_NO_SIGNAL: GnuTLS then sends with MSG_NOSIGNAL, so a receiver that closes while
        // a body is still going out is an EPIPE error here, not a SIGPIPE that kills the mock.
        guard gnutls_init(&session, UInt32(GNUTLS_CLIENT) | UInt32(GNUTLS_NO_SIGNAL)) == GNUTLS_E_SUCCESS,
            let session
        else {
            throw .failed("TLS: GnuTLS could not create a session")
        }
        self.socket = socket
        self.session = session
        self.trust = trust
        var status = gnutls_set_default_priority(session)
        if status == GNUTLS_E_SUCCESS {
            status = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, UnsafeMutableRawPointer(trust.credentials))
        }
        if status == GNUTLS_E_SUCCESS && sendServerName {
            status = gnutls_server_name_set(session, GNUTLS_NAME_DNS, host, host.utf8.count)
        }
        guard status == GNUTLS_E_SUCCESS else { throw .failed("TLS set-up: \(Self.text(status))") }
        // Checks the chain and that the certificate names `host` (a DNS name or an IP address).
        gnutls_session_set_verify_cert(session, host, 0)
        gnutls_transport_set_int2(session, socket.fd, socket.fd)

        while true {
            let result = gnutls_handshake(session)
            if result == GNUTLS_E_SUCCESS { return }
            if result == GNUTLS_E_AGAIN || result == GNUTLS_E_INTERRUPTED {
                try waitForSocket(socket.fd, events: waitEvents(), before: deadline)
                continue
            }
            if gnutls_error_is_fatal(result) == 0 {  // a warning alert: keep going, within the deadline
                guard deadline.remainingMs > 0 else { throw .timedOut }
                continue
            }
            if result == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR {
                throw .failed("TLS handshake with \(host): \(verificationProblem())")
            }
            throw .failed("TLS handshake with \(host): \(Self.text(result))")
        }
    }

    deinit { gnutls_deinit(session) }

    func write(_ bytes: UnsafeRawBufferPointer, before deadline: Deadline) throws(TransportFailure) {
        var offset = 0
        while offset < bytes.count {
            let sent = gnutls_record_send(session, bytes.baseAddress! + offset, bytes.count - offset)
            if sent > 0 {
                offset += sent
            } else if sent == Int(GNUTLS_E_AGAIN) || sent == Int(GNUTLS_E_INTERRUPTED) {
                try waitForSocket(socket.fd, events: Int16(POLLOUT), before: deadline)
            } else {
                throw .failed("sending failed after \(offset) of \(bytes.count) bytes: \(Self.text(Int32(sent)))")
            }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, before deadline: Deadline) throws(TransportFailure) -> Int {
        while true {
            // Always ask GnuTLS first: it may hold decrypted bytes the socket no longer shows.
            let received = gnutls_record_recv(session, buffer.baseAddress, buffer.count)
            if received >= 0 { return received }
            switch Int32(received) {
            case GNUTLS_E_AGAIN, GNUTLS_E_INTERRUPTED:
                try waitForSocket(socket.fd, events: Int16(POLLIN), before: deadline)
            // Closed without close_notify: many servers do; framing decides whether data is missing.
            case GNUTLS_E_PREMATURE_TERMINATION: return 0
            case GNUTLS_E_REHANDSHAKE: continue  // refused implicitly by not answering; TLS 1.2 only
            default: throw .failed("receiving failed: \(Self.text(Int32(received)))")
            }
        }
    }

    /// Which way the interrupted handshake step was going.
    private func waitEvents() -> Int16 {
        gnutls_record_get_direction(session) == 1 ? Int16(POLLOUT) : Int16(POLLIN)
    }

    /// GnuTLS's own sentence for why the certificate was not accepted.
    private func verificationProblem() -> String {
        let status = gnutls_session_get_verify_cert_status(session)
        var printed = gnutls_datum_t()
        guard
            gnutls_certificate_verification_status_print(
                status, gnutls_certificate_type_get(session), &printed, 0) == GNUTLS_E_SUCCESS,
            let data = printed.data
        else { return "certificate verification failed" }
        defer { free(data) }  // gnutls_free is free() unless an application swaps allocators
        var text = Substring(String(cString: data))
        while text.last == " " { text.removeLast() }  // GnuTLS ends each sentence with a space
        return String(text)
    }

    private static func text(_ code: Int32) -> String { String(cString: gnutls_strerror(code)) }
}
