import CGnuTLS
import Glibc

/// Owns a `gnutls_x509_crt_t`; freed with the object.
final class X509Certificate {
    let raw: gnutls_x509_crt_t

    init() throws(TLSCertificateError) {
        var raw: gnutls_x509_crt_t?
        try check(gnutls_x509_crt_init(&raw), "creating a certificate")
        guard let raw else { throw .gnutls("creating a certificate", "no memory") }
        self.raw = raw
    }

    convenience init(pem: String) throws(TLSCertificateError) {
        try self.init()
        try withDatum(pem) { datum throws(TLSCertificateError) in
            try check(gnutls_x509_crt_import(raw, &datum, GNUTLS_X509_FMT_PEM), "reading the certificate")
        }
    }

    deinit { gnutls_x509_crt_deinit(raw) }

    /// Version 3, a random serial, the subject's common name, the key and the validity window.
    func setBasics(commonName: String, key: X509PrivateKey, days: Int) throws(TLSCertificateError) {
        try check(gnutls_x509_crt_set_version(raw, 3), "version")
        var serial = (0..<16).map { _ in UInt8.random(in: 0...255) }
        serial[0] &= 0x7F  // positive, as DER integers are signed
        serial[0] |= 0x01
        try check(gnutls_x509_crt_set_serial(raw, serial, serial.count), "serial")
        try check(
            gnutls_x509_crt_set_dn_by_oid(raw, "2.5.4.3", 0, commonName, UInt32(commonName.utf8.count)),
            "common name")
        try check(gnutls_x509_crt_set_key(raw, key.raw), "public key")
        let now = time(nil)
        // An hour of slack for clocks that lag the machine that made the certificate.
        try check(gnutls_x509_crt_set_activation_time(raw, now - 3600), "activation time")
        try check(gnutls_x509_crt_set_expiration_time(raw, now + time_t(max(days, 1)) * 86_400), "expiration time")
    }

    /// The SHA-1 key identifier of the certified public key (what subject/authority key ids hold).
    func publicKeyID() throws(TLSCertificateError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64)
        var size = buffer.count
        try check(gnutls_x509_crt_get_key_id(raw, 0, &buffer, &size), "key id")
        return Array(buffer.prefix(size))
    }

    func exportPEM() throws(TLSCertificateError) -> String {
        try exportText { buffer, size in gnutls_x509_crt_export(raw, GNUTLS_X509_FMT_PEM, buffer, size) }
    }
}

/// Owns a `gnutls_x509_privkey_t`; freed with the object.
final class X509PrivateKey {
    let raw: gnutls_x509_privkey_t

    private init() throws(TLSCertificateError) {
        var raw: gnutls_x509_privkey_t?
        try check(gnutls_x509_privkey_init(&raw), "creating a key")
        guard let raw else { throw .gnutls("creating a key", "no memory") }
        self.raw = raw
    }

    /// An ECDSA key on P-256: quick to make and understood by every TLS client in use.
    static func generate() throws(TLSCertificateError) -> X509PrivateKey {
        let key = try X509PrivateKey()
        let bits = UInt32(1) << 31 | UInt32(GNUTLS_ECC_CURVE_SECP256R1.rawValue)  // GNUTLS_CURVE_TO_BITS
        try check(gnutls_x509_privkey_generate(key.raw, GNUTLS_PK_ECDSA, bits, 0), "generating a key")
        return key
    }

    convenience init(pem: String) throws(TLSCertificateError) {
        try self.init()
        try withDatum(pem) { datum throws(TLSCertificateError) in
            try check(gnutls_x509_privkey_import2(raw, &datum, GNUTLS_X509_FMT_PEM, nil, 0), "reading the key")
        }
    }

    deinit { gnutls_x509_privkey_deinit(raw) }

    func publicKeyID() throws(TLSCertificateError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64)
        var size = buffer.count
        try check(gnutls_x509_privkey_get_key_id(raw, 0, &buffer, &size), "key id")
        return Array(buffer.prefix(size))
    }

    /// Unencrypted PKCS #8 (`BEGIN PRIVATE KEY`), the form every TLS library reads.
    func exportPEM() throws(TLSCertificateError) -> String {
        try exportText { buffer, size in
            gnutls_x509_privkey_export_pkcs8(
                raw, GNUTLS_X509_FMT_PEM, nil, UInt32(GNUTLS_PKCS_PLAIN.rawValue), buffer, size)
        }
    }
}

/// Runs a GnuTLS export into a buffer large enough for any certificate or key made here.
private func exportText(
    _ export: (UnsafeMutableRawPointer, UnsafeMutablePointer<Int>) -> Int32
) throws(TLSCertificateError) -> String {
    var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    var size = buffer.count
    let result = buffer.withUnsafeMutableBytes { export($0.baseAddress!, &size) }
    try check(result, "exporting PEM")
    return String(decoding: buffer.prefix(size).filter { $0 != 0 }, as: UTF8.self)
}

/// Lends `text` to GnuTLS as a datum (it copies what it keeps).
private func withDatum(
    _ text: String, _ body: (inout gnutls_datum_t) throws(TLSCertificateError) -> Void
) throws(TLSCertificateError) {
    var bytes = Array(text.utf8)
    let count = bytes.count
    let result: Result<Void, TLSCertificateError> = bytes.withUnsafeMutableBytes { buffer in
        var datum = gnutls_datum_t(data: buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), size: UInt32(count))
        do throws(TLSCertificateError) {
            try body(&datum)
            return .success(())
        } catch {
            return .failure(error)
        }
    }
    try result.get()
}
