/// Clean-ups of a binary mask (0 / non-zero) by 4-connected flood fills: one queue the size of
/// the mask, each pixel entering it at most once, so O(pixels) with two allocations in all.
enum MaskComponents {
    /// Clears every non-zero component smaller than `minimumSize` pixels.
    static func removeSmall(_ mask: inout [UInt8], width: Int, height: Int, minimumSize: Int) {
        precondition(mask.count == width * height, "mask size mismatch")
        var seen = [Bool](repeating: false, count: mask.count)
        var queue = [Int32](repeating: 0, count: mask.count)
        var tail = 0
        for start in 0..<mask.count where mask[start] != 0 && !seen[start] {
            let head = tail
            seen[start] = true
            queue[tail] = Int32(start)
            tail += 1
            flood(from: head, tail: &tail, queue: &queue, seen: &seen, width: width, height: height) { mask[$0] != 0 }
            if tail - head < minimumSize {
                for k in head..<tail { mask[Int(queue[k])] = 0 }
            }
        }
    }

    /// Sets every zero pixel that is not connected to the border to 255: holes become subject.
    static func fillHoles(_ mask: inout [UInt8], width: Int, height: Int) {
        precondition(mask.count == width * height, "mask size mismatch")
        var seen = [Bool](repeating: false, count: mask.count)
        var queue = [Int32](repeating: 0, count: mask.count)
        var tail = 0
        func seed(_ i: Int) {
            if mask[i] == 0 && !seen[i] {
                seen[i] = true
                queue[tail] = Int32(i)
                tail += 1
            }
        }
        for x in 0..<width {
            seed(x)
            seed((height - 1) * width + x)
        }
        for y in 0..<height {
            seed(y * width)
            seed(y * width + width - 1)
        }
        flood(from: 0, tail: &tail, queue: &queue, seen: &seen, width: width, height: height) { mask[$0] == 0 }
        for i in 0..<mask.count where mask[i] == 0 && !seen[i] { mask[i] = 255 }
    }

    /// Sets to 255 every pixel for which `accepts` holds and that is connected, through such
    /// pixels, to a non-zero one: hysteresis growth from confident seeds into weaker evidence.
    static func grow(_ mask: inout [UInt8], width: Int, height: Int, accepts: (Int) -> Bool) {
        precondition(mask.count == width * height, "mask size mismatch")
        var seen = [Bool](repeating: false, count: mask.count)
        var queue = [Int32](repeating: 0, count: mask.count)
        var tail = 0
        for i in 0..<mask.count where mask[i] != 0 {
            seen[i] = true
            queue[tail] = Int32(i)
            tail += 1
        }
        flood(from: 0, tail: &tail, queue: &queue, seen: &seen, width: width, height: height, inside: accepts)
        for k in 0..<tail { mask[Int(queue[k])] = 255 }
    }

    /// Breadth-first from the queue entries at `head...`, adding 4-neighbours that satisfy `inside`.
    private static func flood(
        from head: Int, tail: inout Int, queue: inout [Int32], seen: inout [Bool], width: Int, height: Int,
        inside: (Int) -> Bool
    ) {
        func visit(_ n: Int) {
            if !seen[n] && inside(n) {
                seen[n] = true
                queue[tail] = Int32(n)
                tail += 1
            }
        }
        var next = head
        while next < tail {
            let i = Int(queue[next])
            next += 1
            let x = i % width
            let y = i / width
            // Written out, not looped over a literal: an array per pixel would dominate the cost.
            if x > 0 { visit(i - 1) }
            if x < width - 1 { visit(i + 1) }
            if y > 0 { visit(i - width) }
            if y < height - 1 { visit(i + width) }
        }
    }
}
