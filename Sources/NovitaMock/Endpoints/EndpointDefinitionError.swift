/// A definition file that cannot be used: which file, where in it, and what is wrong. The server
/// refuses to start with one (docs/endpoints.md).
public struct EndpointDefinitionError: Error, Sendable, Equatable, CustomStringConvertible {
    var file: String
    /// A JSON path into the file (`$.request[3].max`).
    var path: String
    var problem: String

    public var description: String { "\(file): \(path): \(problem)" }
}
