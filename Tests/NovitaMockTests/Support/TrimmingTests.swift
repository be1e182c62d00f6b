import ASCIIText
import Testing

@Suite("trimmingSpaces")
struct TrimmingTests {
    @Test(arguments: [
        ("", ""), ("   ", ""), ("\t a b \t", "a b"), ("x", "x"), (" ü ", "ü"), ("a\t", "a"), ("\tb", "b"),
        (" \r\n ", "\r\n"),
    ])
    func dropsOnlyOuterSpacesAndTabs(text: String, expected: String) {
        #expect(text.trimmingSpaces == expected)
        #expect(text[...].trimmingSpaces == expected)
    }
}
