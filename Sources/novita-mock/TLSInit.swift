import FoundationEssentials
import NovitaMock
import TLSCertificates

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `novita-mock tls init DIR [--name NAME]…`: the files transparent mode needs
/// (docs/transparent.md): a private CA and a server certificate for Novita's host names.
///
/// An authority already in DIR is kept, so clients that trust it go on trusting the new server
/// certificate; the server certificate is always made afresh. Keys are written 0600.
enum TLSInit {
    static let usage = "usage: novita-mock tls init DIR [--name EXTRA_HOST_NAME]…"

    /// Runs the subcommand and returns the exit code.
    static func run(arguments: [String]) -> Int32 {
        guard arguments.first == "init", arguments.count >= 2, !arguments[1].hasPrefix("-") else {
            return fail(usage)
        }
        let directory = arguments[1]
        var extraNames: [String] = []
        var rest = arguments.dropFirst(2)
        while let option = rest.popFirst() {
            guard option == "--name", let name = rest.popFirst(), !name.isEmpty else {
                return fail("\(usage)\nunexpected argument: \(option)")
            }
            extraNames.append(name)
        }
        do {
            let written = try initialize(directory: directory, extraNames: extraNames)
            for line in written { print(line) }
            return 0
        } catch {
            return fail("novita-mock tls init: \(error)")
        }
    }

    /// The names a certificate from `tls init` carries: Novita's, then the local ones.
    static func serverNames(extra: [String]) -> [String] {
        var names = HostPersona.novitaHostNames + ["localhost"]
        for name in extra where !names.contains(name) { names.append(name) }
        return names
    }

    static func initialize(directory: String, extraNames: [String]) throws -> [String] {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw TLSInitError("cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        let caPath = directory + "/ca.pem"
        let caKeyPath = directory + "/ca-key.pem"
        var lines: [String] = []
        let authority: CertificateAuthority
        if let certificate = readText(caPath), let key = readText(caKeyPath) {
            authority = try CertificateAuthority(certificatePEM: certificate, privateKeyPEM: key)
            lines.append("kept     \(caPath) (the CA clients already trust)")
        } else {
            authority = try CertificateAuthority.generate(commonName: "novita-mock private CA")
            try write(authority.privateKeyPEM, to: caKeyPath, mode: 0o600)
            try write(authority.certificatePEM, to: caPath, mode: 0o644)
            lines.append("wrote    \(caPath) (trust this CA in the client) and \(caKeyPath) (0600)")
        }
        let names = serverNames(extra: extraNames)
        let server = try authority.issueServerCertificate(dnsNames: names, ipAddresses: ["127.0.0.1"])
        try write(server.privateKeyPEM, to: directory + "/server-key.pem", mode: 0o600)
        try write(server.certificatePEM, to: directory + "/server.pem", mode: 0o644)
        lines.append(
            "wrote    \(directory)/server.pem and \(directory)/server-key.pem (0600) for \(names.joined(separator: ", ")), 127.0.0.1"
        )
        lines.append(
            "serve:   novita-mock --tls-cert \(directory)/server.pem --tls-key \(directory)/server-key.pem --tls-port 8443"
        )
        return lines
    }

    static func readText(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes through a temporary file created with `mode` (a key is never readable by others,
    /// not even for a moment) and renames it into place.
    static func write(_ text: String, to path: String, mode: mode_t) throws {
        let temporary = path + ".tmp"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw TLSInitError("cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                close(descriptor)
                throw TLSInitError("cannot write \(temporary): \(String(cString: strerror(errno)))")
            }
            offset += count
        }
        fchmod(descriptor, mode)  // exactly `mode`, whatever the umask took from it
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            throw TLSInitError("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
    }

    private static func fail(_ message: String) -> Int32 {
        let line = message + "\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
        return 1
    }
}

struct TLSInitError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
