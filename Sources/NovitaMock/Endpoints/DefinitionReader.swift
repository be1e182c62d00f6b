/// Reads one JSON object of a definition file, remembering its JSON path for error messages and
/// refusing keys it was not asked about (a typo such as `"max_lenght"` must not pass silently).
struct DefinitionReader {
    let file: String
    let path: String
    let object: JSONObject
    private var read: Set<String> = []

    init(file: String, path: String, value: JSONValue) throws(EndpointDefinitionError) {
        guard let object = value.objectValue else {
            throw EndpointDefinitionError(
                file: file, path: path, problem: "expected an object, got \(value.typeDescription)")
        }
        self.file = file
        self.path = path
        self.object = object
    }

    func error(_ key: String?, _ problem: String) -> EndpointDefinitionError {
        EndpointDefinitionError(file: file, path: key.map { "\(path).\($0)" } ?? path, problem: problem)
    }

    mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    mutating func string(_ key: String) throws(EndpointDefinitionError) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.stringValue else {
            throw error(key, "expected a string, got \(value.typeDescription)")
        }
        return string
    }

    mutating func requiredString(_ key: String) throws(EndpointDefinitionError) -> String {
        guard let string = try string(key), !string.isEmpty else { throw error(key, "missing (a non-empty string)") }
        return string
    }

    mutating func integer(_ key: String) throws(EndpointDefinitionError) -> Int64? {
        guard let value = value(key) else { return nil }
        guard let integer = value.integerValue else {
            throw error(key, "expected an integer, got \(RequestValidator.describe(value))")
        }
        return integer
    }

    mutating func number(_ key: String) throws(EndpointDefinitionError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.doubleValue else {
            throw error(key, "expected a number, got \(RequestValidator.describe(value))")
        }
        return number
    }

    mutating func bool(_ key: String) throws(EndpointDefinitionError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value.boolValue else {
            throw error(key, "expected true or false, got \(value.typeDescription)")
        }
        return bool
    }

    mutating func array(_ key: String) throws(EndpointDefinitionError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard let array = value.arrayValue else { throw error(key, "expected an array, got \(value.typeDescription)") }
        return array
    }

    mutating func child(_ key: String) throws(EndpointDefinitionError) -> DefinitionReader? {
        guard let value = value(key) else { return nil }
        return try DefinitionReader(file: file, path: "\(path).\(key)", value: value)
    }

    /// Refuses any key that was never read; `what` names the object in the message.
    func finish(_ what: String = "a definition") throws(EndpointDefinitionError) {
        if let unknown = object.keys.first(where: { !read.contains($0) }) {
            throw error(unknown, "unknown key (see docs/endpoints.md for the keys \(what) takes)")
        }
    }
}
