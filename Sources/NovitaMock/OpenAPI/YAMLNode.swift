/// A tiny YAML tree and emitter: enough for an OpenAPI document, with every string written as a
/// JSON-style double-quoted scalar (valid YAML, no quoting surprises).
indirect enum YAMLNode: Sendable {
    case map([(String, YAMLNode)])
    case list([YAMLNode])
    case string(String)
    case integer(Int64)
    case number(Double)
    case bool(Bool)

    func render() -> String {
        var out = ""
        emit(into: &out, indent: 0)
        return out
    }

    private static func scalarText(_ node: YAMLNode) -> String? {
        switch node {
        case .string(let s): return JSONWriter.string(.string(s))
        case .integer(let i): return String(i)
        case .number(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        case .map(let entries) where entries.isEmpty: return "{}"
        case .list(let items) where items.isEmpty: return "[]"
        default: return nil
        }
    }

    private static func key(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }
        return plain && !text.isEmpty && !text.first!.isNumber ? text : JSONWriter.string(.string(text))
    }

    private func emit(into out: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        switch self {
        case .map(let entries):
            for (name, value) in entries {
                if let scalar = Self.scalarText(value) {
                    out += "\(pad)\(Self.key(name)): \(scalar)\n"
                } else {
                    out += "\(pad)\(Self.key(name)):\n"
                    value.emit(into: &out, indent: indent + 2)
                }
            }
        case .list(let items):
            for item in items {
                if let scalar = Self.scalarText(item) {
                    out += "\(pad)- \(scalar)\n"
                } else {
                    var nested = ""
                    item.emit(into: &nested, indent: indent + 2)
                    // The first line of the nested block goes after the dash.
                    let trimmed = nested.dropFirst(indent + 2)
                    out += "\(pad)- \(trimmed)"
                }
            }
        default:
            out += pad + (Self.scalarText(self) ?? "") + "\n"
        }
    }
}
