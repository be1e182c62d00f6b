/// Deterministic NSFW "detection" (SPEC §8): a prompt naming content of the categories at the
/// requested level scores 85…100, anything else 0…10, drawn from the image's seed.
enum NSFWDetector {
    /// Terms by the level that first flags them; level n flags the terms of levels 0…n.
    static let termsByLevel: [[String]] = [
        ["nude", "naked", "nsfw", "porn", "sex", "swastika"],
        ["topless", "lingerie", "kissing"],
        ["bikini", "swimsuit", "swimwear", "underwear"],
    ]

    static func flags(prompt: String, level: Int) -> Bool {
        let words = prompt.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
        let terms = termsByLevel.prefix(max(0, min(level, termsByLevel.count - 1)) + 1).joined()
        return terms.contains { term in words.contains { $0 == term || $0 == term + "s" } }
    }

    static func confidence(for parameters: GenerationParameters, level: Int, index: Int) -> Int {
        var generator = SplitMix64(seed: UInt64(parameters.seed(ofImage: index)) &* 0x2545_F491_4F6C_DD1D)
        let draw = Int(generator.next() % 1000)
        return flags(prompt: parameters.prompt, level: level) ? 85 + draw % 16 : draw % 11
    }
}
