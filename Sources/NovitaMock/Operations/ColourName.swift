/// A small table of colour names for describing pictures in words (img2prompt): common names a
/// person would use, each at a typical sRGB value; a colour takes the name of the nearest entry.
struct ColourName: Sendable {
    let name: String
    let red: Int
    let green: Int
    let blue: Int

    static let table: [ColourName] = [
        ColourName(name: "black", red: 12, green: 12, blue: 14),
        ColourName(name: "dark grey", red: 60, green: 60, blue: 64),
        ColourName(name: "grey", red: 128, green: 128, blue: 128),
        ColourName(name: "light grey", red: 192, green: 192, blue: 195),
        ColourName(name: "white", red: 245, green: 245, blue: 245),
        ColourName(name: "dark red", red: 115, green: 20, blue: 25),
        ColourName(name: "red", red: 210, green: 40, blue: 40),
        ColourName(name: "pink", red: 240, green: 150, blue: 180),
        ColourName(name: "orange", red: 240, green: 140, blue: 40),
        ColourName(name: "brown", red: 120, green: 75, blue: 40),
        ColourName(name: "beige", red: 220, green: 200, blue: 160),
        ColourName(name: "yellow", red: 240, green: 220, blue: 50),
        ColourName(name: "olive", red: 120, green: 120, blue: 40),
        ColourName(name: "light green", red: 150, green: 220, blue: 120),
        ColourName(name: "green", red: 60, green: 160, blue: 60),
        ColourName(name: "dark green", red: 25, green: 80, blue: 35),
        ColourName(name: "teal", red: 30, green: 130, blue: 130),
        ColourName(name: "turquoise", red: 60, green: 200, blue: 200),
        ColourName(name: "sky blue", red: 130, green: 190, blue: 240),
        ColourName(name: "blue", red: 40, green: 90, blue: 210),
        ColourName(name: "navy", red: 20, green: 30, blue: 90),
        ColourName(name: "purple", red: 120, green: 60, blue: 160),
        ColourName(name: "lavender", red: 180, green: 160, blue: 220),
        ColourName(name: "magenta", red: 200, green: 50, blue: 170),
    ]

    /// The index in `table` of the entry nearest to the colour (squared distance weighted 2:4:3,
    /// roughly how strongly the eye tells red, green and blue apart); ties go to the earlier entry.
    static func nearest(red: Int, green: Int, blue: Int) -> Int {
        var best = 0
        var bestDistance = Int.max
        for (index, entry) in table.enumerated() {
            let dr = red - entry.red
            let dg = green - entry.green
            let db = blue - entry.blue
            let distance = 2 * dr * dr + 4 * dg * dg + 3 * db * db
            if distance < bestDistance {
                best = index
                bestDistance = distance
            }
        }
        return best
    }
}
