/// What makes two requests "the same" for replay: method, path, query (without `task_id`, which
/// replay maps itself) and the normalized body without volatile fields, object keys sorted so
/// that the order a client writes them in does not matter.
struct RequestFingerprint: Hashable, Sendable {
    let text: String

    /// Fields left out of the comparison wherever they stand: values a client draws anew each run
    /// (a seed) or that name the client's own machine (a webhook URL with its port).
    static let defaultIgnoredFields = ["seed", "webhook"]

    init(
        method: String, path: String, query: [(name: String, value: String)], body: JSONValue?, bodyDigest: String?,
        ignoring ignored: Set<String>
    ) {
        let parameters = query.filter { $0.name != "task_id" }.map { "\($0.name)=\($0.value)" }.sorted()
        var text = method.uppercased() + " " + path + "?" + parameters.joined(separator: "&") + "\n"
        if let body { text += JSONWriter.string(Self.canonical(body, ignoring: ignored)) }
        if let bodyDigest { text += "sha256:" + bodyDigest }
        self.text = text
    }

    init(_ exchange: CassetteExchange, ignoring ignored: Set<String>) {
        self.init(
            method: exchange.method, path: exchange.path, query: exchange.query, body: exchange.requestBody,
            bodyDigest: exchange.requestBodyDigest, ignoring: ignored)
    }

    /// Keys sorted, ignored keys dropped, at every depth.
    static func canonical(_ value: JSONValue, ignoring ignored: Set<String>) -> JSONValue {
        switch value {
        case .object(let object):
            let entries =
                object.entries
                .filter { !ignored.contains($0.key) }
                .sorted { $0.key < $1.key }
                .map { ($0.key, canonical($0.value, ignoring: ignored)) }
            return .object(JSONObject(entries))
        case .array(let items):
            return .array(items.map { canonical($0, ignoring: ignored) })
        default:
            return value
        }
    }
}
