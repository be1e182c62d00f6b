import Testing

@testable import NovitaMock

@Suite("Interner")
struct InternerTests {
    @Test func equalValuesShareOneCopyAndTheTableStaysBounded() {
        let interner = Interner<String>(capacity: 100)
        let first = interner.intern(String(repeating: "model ", count: 3))
        #expect(interner.intern(String(repeating: "model ", count: 3)) == first)
        for index in 0..<1000 { _ = interner.intern("prompt \(index)") }
        #expect(interner.count <= 100)
        // A value that comes back after the table started over is shared again.
        _ = interner.intern("sd_xl_base_1.0")
        #expect(interner.intern("sd_xl_base_1.0") == "sd_xl_base_1.0")
        #expect(interner.count <= 100)
    }
}
