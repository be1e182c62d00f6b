/// Turns `NOVITA_MOCK_*` variables into command-line arguments for the options the command line
/// does not already give, so a flag always wins over its variable.
enum EnvironmentDefaults {
    static func variableName(for option: String) -> String {
        "NOVITA_MOCK_" + option.uppercased().map { $0 == "-" ? "_" : $0 }.map(String.init).joined()
    }

    static func merge(arguments: [String], environment: [String: String], flags: [String], options: [String])
        -> [String]
    {
        func given(_ name: String) -> Bool {
            arguments.contains { $0 == "--\(name)" || $0.hasPrefix("--\(name)=") || $0 == "--no-\(name)" }
        }
        var merged = arguments
        for option in options where !given(option) {
            if let value = environment[variableName(for: option)], !value.isEmpty {
                merged += ["--\(option)", value]
            }
        }
        for flag in flags where !given(flag) {
            if let value = environment[variableName(for: flag)]?.lowercased(),
                ["1", "true", "yes", "on"].contains(value)
            {
                merged.append("--\(flag)")
            }
        }
        return merged
    }
}
