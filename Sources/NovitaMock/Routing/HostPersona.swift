import ASCIIText
import MicroHTTP

/// Which of Novita's hosts a request was addressed to, by its `Host` header (docs/transparent.md):
/// in transparent mode one mock answers as the API, the assets host and the output storage.
public enum HostPersona: Sendable, Equatable {
    /// `api.novita.ai`: the model API (and, harmlessly, everything else the mock serves).
    case api
    /// `assets.novitai.com`: asset uploads; the `/v3` API is not there.
    case assets
    /// The output buckets: generated images and videos; the `/v3` API is not there.
    case storage
    /// Any other name or an address (`localhost:8080`, `mock:8080`): everything, as always.
    case mock

    public static let apiHost = "api.novita.ai"
    public static let assetsHost = "assets.novitai.com"
    /// Where image and video URLs point when the client reached a Novita name: the image
    /// bucket's host name, with the paths the mock serves under every name (one name for both
    /// `/faas-output-image/` and `/faas-output-video/`).
    public static let storageHost = "faas-output-image.s3.ap-southeast-1.amazonaws.com"
    public static let storageHosts = [storageHost, "faas-output-video.s3.ap-southeast-1.amazonaws.com"]
    /// Every name a transparent-mode certificate must carry.
    public static let novitaHostNames = [apiHost, assetsHost] + storageHosts
    /// The first letters (lower case) of `novitaHostNames`.
    private static let novitaNameInitials = Set(novitaHostNames.compactMap(\.utf8.first))

    /// The persona of a `Host` header value (`name` or `name:port`, any case).
    public init(hostHeader: String?) {
        // Most requests name an address or another host: the first letter rules out Novita's
        // names without the lower-cased copy below.
        guard let first = hostHeader?.utf8.first(where: { $0 != 0x20 && $0 != 0x09 }),
            Self.mayBeNovitaName(initial: first)
        else {
            self = .mock
            return
        }
        let name = Self.split(hostHeader ?? "").name
        switch name {
        case Self.apiHost: self = .api
        case Self.assetsHost: self = .assets
        case _ where Self.storageHosts.contains(name): self = .storage
        default: self = .mock
        }
    }

    /// Whether a `Host` value starting with `initial` (its first non-blank byte) may name one of
    /// Novita's hosts; when not, the persona is `.mock`.
    static func mayBeNovitaName(initial: UInt8) -> Bool {
        novitaNameInitials.contains(initial | 0x20)
    }

    /// Whether the client reached the mock through one of Novita's own names.
    public var isNovitaName: Bool { self != .mock }

    /// Whether a request for `path` belongs to this persona (the others answer 404): the assets
    /// and storage hosts have no model API. Everything else the mock serves (media, uploads to
    /// URLs it handed out, the control plane) answers under every name.
    func serves(path: String) -> Bool {
        switch self {
        case .api, .mock: true
        case .assets, .storage: !path.hasPrefix("/v3/")
        }
    }

    /// The lower-cased name and the port text (empty when absent) of a `Host` value; IPv6
    /// literals keep their brackets.
    static func split(_ value: String) -> (name: String, port: Substring) {
        let text = value.trimmingSpaces.lowercased()
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let rest = text[text.index(after: close)...]
            return (String(text[...close]), rest.hasPrefix(":") ? rest.dropFirst() : "")
        }
        guard let colon = text.lastIndex(of: ":") else { return (text, "") }
        return (String(text[..<colon]), text[text.index(after: colon)...])
    }
}
