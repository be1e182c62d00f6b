/// Every endpoint the mock serves from data: the built-in definitions (`fixtures/endpoints/`,
/// compiled in) with the files of `--endpoints DIR` laid over them (same method and path
/// replaces, a new one adds).
struct EndpointCatalog: Sendable {
    /// In a stable order: by path, then method.
    let definitions: [EndpointDefinition]
    private let byKey: [String: Int]
    private let paths: Set<String>

    init(_ definitions: [EndpointDefinition]) {
        let sorted = definitions.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
        self.definitions = sorted
        byKey = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1.key, $0) })
        paths = Set(sorted.map(\.path))
    }

    /// Whether some definition has this path (a hash lookup: it runs on every request).
    func serves(path: String) -> Bool { paths.contains(path) }

    func definition(method: String, path: String) -> EndpointDefinition? {
        byKey["\(method) \(path)"].map { definitions[$0] }
    }

    /// The definitions built into the binary.
    static let builtIn: EndpointCatalog = {
        do {
            return try load(files: BuiltInEndpoints.files.map { ($0.name, Array($0.json.utf8)) })
        } catch {
            // A test holds every built-in file valid; reaching here means the binary was built wrong.
            fatalError("built-in endpoint definition: \(error)")
        }
    }()

    static let builtInVocabulary: EndpointVocabulary = {
        do {
            return try EndpointVocabulary(json: Array(BuiltInEndpoints.vocabulary.utf8))
        } catch {
            fatalError("built-in endpoint vocabulary: \(error)")
        }
    }()

    /// Parses definition files over `base` (a file with the same method and path replaces the one
    /// in `base`; two files of one set with the same method and path are an error).
    static func load(files: [(name: String, bytes: [UInt8])], over base: [EndpointDefinition] = [])
        throws(EndpointDefinitionError) -> EndpointCatalog
    {
        let parser = EndpointDefinitionParser(vocabulary: builtInVocabulary)
        var result = base
        var seen: [String: String] = [:]
        for file in files.sorted(by: { $0.name < $1.name }) {
            let definition = try parser.parse(file.bytes, file: file.name)
            if let earlier = seen[definition.key] {
                throw EndpointDefinitionError(
                    file: file.name, path: "$.path", problem: "\(definition.key) is already defined by \(earlier)")
            }
            seen[definition.key] = file.name
            result.removeAll { $0.key == definition.key }
            result.append(definition)
        }
        return EndpointCatalog(result)
    }

    /// The built-in definitions with the `*.json` files of `directory` laid over them.
    static func loading(directory: String) throws(EndpointDefinitionError) -> EndpointCatalog {
        let names: [String]
        do {
            names = try FileIO.listDirectory(directory).filter { $0.hasSuffix(".json") }
        } catch {
            throw EndpointDefinitionError(file: directory, path: "$", problem: "cannot read the directory: \(error)")
        }
        var files: [(name: String, bytes: [UInt8])] = []
        for name in names {
            do {
                files.append((name, try FileIO.read(directory + "/" + name)))
            } catch {
                throw EndpointDefinitionError(file: name, path: "$", problem: "cannot read the file: \(error)")
            }
        }
        return try load(files: files, over: builtIn.definitions)
    }
}
