import Testing

@testable import NovitaMock

@Suite("FIFOQueue")
struct FIFOQueueTests {
    @Test func popsInOrderAcrossCompactions() {
        var queue = FIFOQueue<Int>()
        var expected = 0
        for value in 0..<5000 {
            queue.append(value)
            if value % 3 == 2 {  // pop two of every three: the head passes the compaction point often
                for _ in 0..<2 {
                    #expect(queue.first == expected)
                    #expect(queue.popFirst() == expected)
                    expected += 1
                }
            }
        }
        #expect(queue.count == 5000 - expected)
        #expect(Array(queue) == Array(expected..<5000))
        while queue.popFirst() != nil {}
        #expect(queue.isEmpty && queue.first == nil)
    }
}
