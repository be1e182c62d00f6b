import CGnuTLS
import Glibc

/// A private certificate authority for transparent mode (docs/transparent.md): it signs server
/// certificates for Novita's host names, which a client trusts once it trusts the authority.
///
/// Built on GnuTLS's X.509 API, which libmicrohttpd already links: no other library.
public struct CertificateAuthority: Sendable {
    /// The authority's certificate, PEM: what clients add to their trust store.
    public let certificatePEM: String
    /// The authority's private key (PKCS #8, PEM): keep it private, it signs anything.
    public let privateKeyPEM: String

    /// Reads an authority written earlier (so a client that trusts it keeps trusting new leaves).
    /// - Throws: `TLSCertificateError` when the PEM texts are not a certificate and its key.
    public init(certificatePEM: String, privateKeyPEM: String) throws(TLSCertificateError) {
        let certificate = try X509Certificate(pem: certificatePEM)
        let key = try X509PrivateKey(pem: privateKeyPEM)
        guard try certificate.publicKeyID() == key.publicKeyID() else {
            throw .mismatch("the private key does not belong to the certificate")
        }
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    private init(validated certificatePEM: String, privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// Makes a new authority with a fresh ECDSA P-256 key, valid for `days` from an hour ago.
    public static func generate(commonName: String, days: Int = 3650) throws(TLSCertificateError)
        -> CertificateAuthority
    {
        let key = try X509PrivateKey.generate()
        let certificate = try X509Certificate()
        try certificate.setBasics(commonName: commonName, key: key, days: days)
        try check(gnutls_x509_crt_set_basic_constraints(certificate.raw, 1, -1), "basic constraints")
        try check(
            gnutls_x509_crt_set_key_usage(
                certificate.raw, UInt32(GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN | GNUTLS_KEY_DIGITAL_SIGNATURE)),
            "key usage")
        let keyID = try certificate.publicKeyID()
        try check(
            keyID.withUnsafeBytes { gnutls_x509_crt_set_subject_key_id(certificate.raw, $0.baseAddress, $0.count) },
            "subject key id")
        try check(
            gnutls_x509_crt_sign2(certificate.raw, certificate.raw, key.raw, GNUTLS_DIG_SHA256, 0), "self-signing")
        return CertificateAuthority(
            validated: try certificate.exportPEM(), privateKeyPEM: try key.exportPEM())
    }

    /// Issues a server certificate for `dnsNames` (and `ipAddresses`, dotted IPv4) with a fresh key.
    /// The first DNS name is also the subject's common name.
    public func issueServerCertificate(
        dnsNames: [String], ipAddresses: [String] = [], days: Int = 825
    ) throws(TLSCertificateError) -> IssuedCertificate {
        guard let first = dnsNames.first else { throw .invalidName("a server certificate needs at least one name") }
        let issuer = try X509Certificate(pem: certificatePEM)
        let issuerKey = try X509PrivateKey(pem: privateKeyPEM)
        let key = try X509PrivateKey.generate()
        let certificate = try X509Certificate()
        try certificate.setBasics(commonName: first, key: key, days: days)
        try check(gnutls_x509_crt_set_basic_constraints(certificate.raw, 0, -1), "basic constraints")
        try check(
            gnutls_x509_crt_set_key_usage(
                certificate.raw, UInt32(GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT)),
            "key usage")
        try check(gnutls_x509_crt_set_key_purpose_oid(certificate.raw, GNUTLS_KP_TLS_WWW_SERVER, 0), "key purpose")
        for name in dnsNames {
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else {
                throw .invalidName("\(name) is not a DNS name")
            }
            try check(
                gnutls_x509_crt_set_subject_alt_name(
                    certificate.raw, GNUTLS_SAN_DNSNAME, name, UInt32(name.utf8.count), UInt32(GNUTLS_FSAN_APPEND)),
                "subject alternative name \(name)")
        }
        for address in ipAddresses {
            var bytes = in_addr()
            guard inet_pton(AF_INET, address, &bytes) == 1 else {
                throw .invalidName("\(address) is not a dotted IPv4 address")
            }
            try check(
                withUnsafeBytes(of: &bytes) {
                    gnutls_x509_crt_set_subject_alt_name(
                        certificate.raw, GNUTLS_SAN_IPADDRESS, $0.baseAddress, UInt32($0.count),
                        UInt32(GNUTLS_FSAN_APPEND))
                }, "subject alternative name \(address)")
        }
        let keyID = try certificate.publicKeyID()
        try check(
            keyID.withUnsafeBytes { gnutls_x509_crt_set_subject_key_id(certificate.raw, $0.baseAddress, $0.count) },
            "subject key id")
        let authorityID = try issuer.publicKeyID()
        try check(
            authorityID.withUnsafeBytes {
                gnutls_x509_crt_set_authority_key_id(certificate.raw, $0.baseAddress, $0.count)
            }, "authority key id")
        try check(gnutls_x509_crt_sign2(certificate.raw, issuer.raw, issuerKey.raw, GNUTLS_DIG_SHA256, 0), "signing")
        return IssuedCertificate(certificatePEM: try certificate.exportPEM(), privateKeyPEM: try key.exportPEM())
    }
}

/// A certificate with its private key, both PEM.
public struct IssuedCertificate: Sendable {
    public let certificatePEM: String
    public let privateKeyPEM: String
}

/// What went wrong making or reading certificates.
public enum TLSCertificateError: Error, Sendable, CustomStringConvertible {
    /// A GnuTLS call failed: what was being done and GnuTLS's explanation.
    case gnutls(String, String)
    case invalidName(String)
    case mismatch(String)

    public var description: String {
        switch self {
        case .gnutls(let step, let reason): "\(step) failed: \(reason)"
        case .invalidName(let message), .mismatch(let message): message
        }
    }
}

func check(_ result: Int32, _ step: String) throws(TLSCertificateError) {
    guard result >= 0 else { throw .gnutls(step, String(cString: gnutls_strerror(result))) }
}

extension IssuedCertificate {
    /// Checks that `certificatePEM` (its first certificate) and `privateKeyPEM` are readable and
    /// belong together, so a server can refuse a wrong pair with a clear message before starting.
    public static func checkPair(certificatePEM: String, privateKeyPEM: String) throws(TLSCertificateError) {
        let certificate = try X509Certificate(pem: certificatePEM)
        let key = try X509PrivateKey(pem: privateKeyPEM)
        guard try certificate.publicKeyID() == key.publicKeyID() else {
            throw .mismatch("the private key does not belong to the certificate")
        }
    }
}
