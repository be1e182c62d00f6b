/// A parsed JSON document that keeps what the validator needs and `JSONDecoder` loses: the order
/// of object keys (violations are reported in body order), and whether a number was written
/// with an integral value (`512` and `512.0` are integers, `512.5` is not).
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }
    var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    var doubleValue: Double? {
        if case .number(let n) = self { return n.double }
        return nil
    }
    var integerValue: Int64? {
        if case .number(let n) = self { return n.integer }
        return nil
    }
    var isNull: Bool { self == .null }

    /// A short name of the JSON type, for error messages ("a string", "null" …).
    var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let n): n.integer != nil ? "an integer" : "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON number: its value as a `Double`, and as an exact `Int64` when the value is integral
/// and in range.
struct JSONNumber: Sendable, Equatable {
    let double: Double
    let integer: Int64?

    init(_ value: Double) {
        double = value
        integer = JSONNumber.exactInteger(value)
    }

    init(_ value: Int64) {
        double = Double(value)
        integer = value
    }

    init(_ value: Int) { self.init(Int64(value)) }

    init(double: Double, integer: Int64?) {
        self.double = double
        self.integer = integer
    }

    private static func exactInteger(_ value: Double) -> Int64? {
        guard value.isFinite, value.rounded(.towardZero) == value, abs(value) < 9.2e18 else { return nil }
        return Int64(value)
    }
}

/// A JSON object with its keys in document order. Keys are unique (the parser refuses
/// duplicates).
struct JSONObject: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    private(set) var entries: [(key: String, value: JSONValue)]

    init(_ entries: [(String, JSONValue)] = []) {
        self.entries = entries.map { (key: $0.0, value: $0.1) }
    }

    init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    subscript(key: String) -> JSONValue? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    entries[index].value = newValue
                } else {
                    entries.remove(at: index)
                }
            } else if let newValue {
                entries.append((key: key, value: newValue))
            }
        }
    }

    var keys: [String] { entries.map(\.key) }
    var isEmpty: Bool { entries.isEmpty }

    static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.key == $1.key && $0.value == $1.value }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral, ExpressibleByDictionaryLiteral
{
    init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(floatLiteral value: Double) { self = .number(JSONNumber(value)) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    init(nilLiteral: ()) { self = .null }
}
