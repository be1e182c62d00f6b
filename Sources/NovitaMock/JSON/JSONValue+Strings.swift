extension JSONValue {
    /// The value with string leaves replaced where `transform` returns a replacement; `path` is
    /// the leaf's JSON path (`request.loras[0].model_name`), as violations name fields.
    func replacingStrings(at path: String = "", _ transform: (_ path: String, _ value: String) -> String?) -> JSONValue
    {
        switch self {
        case .string(let string):
            return transform(path, string).map(JSONValue.string) ?? self
        case .array(let items):
            return .array(
                items.enumerated().map { $0.element.replacingStrings(at: "\(path)[\($0.offset)]", transform) })
        case .object(let object):
            return .object(
                JSONObject(
                    object.entries.map { entry in
                        let child = path.isEmpty ? entry.key : "\(path).\(entry.key)"
                        return (entry.key, entry.value.replacingStrings(at: child, transform))
                    }))
        default:
            return self
        }
    }
}
