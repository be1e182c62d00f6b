/// Deterministic NSFW "detection" (docs/contract.md §8): a prompt naming content of the categories at the
/// requested level scores 85…100, anything else 0…10, drawn from the image's seed. The term lists
/// are `fixtures/nsfw-terms.json`.
enum NSFWDetector {
    /// Terms by the level that first flags them; level n flags the terms of levels 0…n.
    static let termsByLevel: [[String]] = {
        let levels =
            (try? JSONParser.parse(Array(BuiltInNSFWTerms.json.utf8)))?.objectValue?["levels"]?.arrayValue ?? []
        return levels.map { ($0.arrayValue ?? []).compactMap(\.stringValue) }
    }()

    /// Whether `prompt` names a term flagged at `level`.
    static func flags(prompt: String, level: Int) -> Bool {
        let words = prompt.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "-" }.map(String.init)
        let terms = Set(termsByLevel.prefix(max(0, min(level, termsByLevel.count - 1)) + 1).joined())
        return words.contains { terms.contains($0) || ($0.hasSuffix("s") && terms.contains(String($0.dropLast()))) }
    }

    /// The confidence of image `index`: 85…100 when flagged, else 0…10.
    static func confidence(for parameters: GenerationParameters, level: Int, index: Int) -> Int {
        var generator = SplitMix64(seed: UInt64(parameters.seed(ofImage: index)) &* 0x2545_F491_4F6C_DD1D)
        let draw = Int(generator.next() % 1000)
        return flags(prompt: parameters.prompt, level: level) ? 85 + draw % 16 : draw % 11
    }
}
