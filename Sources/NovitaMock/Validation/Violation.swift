/// One broken rule: where, what was expected, what came.
struct Violation: Sendable, Equatable {
    /// The JSON path, e.g. `request.controlnet.units[1].image_base64`.
    let path: String
    let expected: String
    let actual: String

    var sentence: String { "\(path): must be \(expected), got \(actual)" }
}

extension APIError {
    /// The 400 for a list of violations (docs/contract.md §3): the message names the first, the metadata
    /// carries all.
    static func violations(_ violations: [Violation]) -> APIError {
        let first = violations[0]
        return .invalidBody(
            first.sentence,
            metadata: [
                ("path", first.path),
                ("expected", first.expected),
                ("actual", first.actual),
                ("violation_count", String(violations.count)),
                ("violations", violations.map(\.sentence).joined(separator: "; ")),
            ])
    }
}

/// `X-Mock-Warnings`: the compat-mode tolerances a request was given (docs/contract.md §4.4).
enum MockWarnings {
    static let header = "X-Mock-Warnings"

    /// The warnings as one header value: printable ASCII only (anything else becomes `?`), capped.
    static func headerValue(_ warnings: [String]) -> String {
        String(
            warnings.joined(separator: "; ").unicodeScalars
                .map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" }.prefix(4000))
    }
}
