import ASCIIText
import MicroHTTP
import Synchronization

/// Where the image URLs of a task point (docs/contract.md §7): `--public-url`, else the submit's
/// `Host`, else the address the server is bound to (the kernel's port under `--port 0`).
/// A submit addressed to one of Novita's names (transparent mode, docs/transparent.md) gets the
/// storage host's name on the same port; the scheme is the one the submit came over.
final class ImageBaseURL: Sendable {
    private let publicURL: String?
    private let host: String
    private let configuredPort: Int
    /// The port the server is bound to, 0 until the executable says (`MockService.serverDidBind`).
    private let boundPort = Atomic<Int>(0)

    init(publicURL: String?, host: String, port: Int) {
        self.publicURL = publicURL.flatMap { $0.isEmpty ? nil : ($0.hasSuffix("/") ? String($0.dropLast()) : $0) }
        self.host = host
        configuredPort = port
    }

    func didBind(port: Int) {
        boundPort.store(port, ordering: .relaxed)
    }

    func url(for request: HTTPRequest) -> String {
        if let publicURL { return publicURL }
        let scheme = request.isSecure ? "https://" : "http://"
        let given = request.headers["Host"].map { $0.trimmingSpaces } ?? ""
        if !given.isEmpty && !given.contains(where: { $0 == "/" || $0 == " " || $0 == "?" || $0 == "#" || $0 == "@" }) {
            if HostPersona(hostHeader: given).isNovitaName {
                let port = HostPersona.split(given).port
                return scheme + HostPersona.storageHost + (port.isEmpty ? "" : ":\(port)")
            }
            return scheme + given
        }
        let bound = boundPort.load(ordering: .relaxed)
        // No Host (HTTP/1.0): the plain listener's address, which is the one this knows.
        return "http://" + MockService.dialableAuthority(host: host, port: bound > 0 ? bound : configuredPort)
    }
}
