/// A third-party model's size vocabulary (docs/contract.md §12): `"<w>*<h>"` or `"<w>x<h>"`,
/// named presets (`"2K"`), and the limits some models put on the whole picture (total pixels,
/// aspect ratio, multiples of 32). The `size` field rule carries one when it has more than
/// `min`/`max` per side.
struct SizeSpec: Sendable {
    /// Between width and height: `*` (FLUX, Qwen, Hunyuan) or `x` (Seedream, GLM).
    var separator: Character = "*"
    var minSide: Int
    var maxSide: Int
    var minPixels: Int? = nil
    var maxPixels: Int? = nil
    var multipleOf: Int? = nil
    /// The longer side over the shorter at most this (Seedream: 16).
    var maxAspect: Double? = nil
    /// Names that stand for a size (`"2K"` → 2048×2048); always accepted as they are.
    var presets: [(name: String, width: Int, height: Int)] = []

    /// The width and height a value names, if it is a preset or `<w><sep><h>` (not checked
    /// against the limits).
    func dimensions(of string: String) -> (width: Int, height: Int)? {
        if let preset = presets.first(where: { $0.name == string }) { return (preset.width, preset.height) }
        let parts = string.split(separator: separator, omittingEmptySubsequences: false)
        guard parts.count == 2,
            parts.allSatisfy({ !$0.isEmpty && $0.count <= 6 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let width = Int(parts[0]), let height = Int(parts[1])
        else { return nil }
        return (width, height)
    }

    /// The size of a valid value, or nil when it breaks a rule.
    func accepted(_ string: String) -> (width: Int, height: Int)? {
        guard let (width, height) = dimensions(of: string) else { return nil }
        if presets.contains(where: { $0.name == string }) { return (width, height) }
        guard (minSide...maxSide).contains(width), (minSide...maxSide).contains(height) else { return nil }
        let pixels = width * height
        if let minPixels, pixels < minPixels { return nil }
        if let maxPixels, pixels > maxPixels { return nil }
        if let multipleOf, width % multipleOf != 0 || height % multipleOf != 0 { return nil }
        if let maxAspect, Double(max(width, height)) > maxAspect * Double(min(width, height)) { return nil }
        return (width, height)
    }

    /// What a valid value looks like, for error messages and `openapi.yaml`.
    var description: String {
        var text = "a size \"<width>\(separator)<height>\" with each side in [\(minSide), \(maxSide)]"
        if let minPixels, let maxPixels {
            text += ", \(minPixels) to \(maxPixels) pixels in all"
        } else if let maxPixels {
            text += ", at most \(maxPixels) pixels in all"
        } else if let minPixels {
            text += ", at least \(minPixels) pixels in all"
        }
        if let multipleOf { text += ", each side a multiple of \(multipleOf)" }
        if let maxAspect { text += ", aspect ratio within 1:\(RequestValidator.format(maxAspect)) either way" }
        if !presets.isEmpty { text += ", or one of " + presets.map { "\"\($0.name)\"" }.joined(separator: ", ") }
        return text
    }
}
