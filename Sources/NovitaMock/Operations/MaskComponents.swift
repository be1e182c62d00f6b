/// Clean-ups of a binary mask (0 / non-zero) by 4-connected flood fills over a copy padded
/// with a closed one-pixel frame — so no neighbour needs a bounds check or a division — with one
/// queue the size of the mask, each pixel entering it at most once: O(pixels).
enum MaskComponents {
    /// Clears every non-zero component smaller than `minimumSize` pixels.
    static func removeSmall(_ mask: inout [UInt8], width: Int, height: Int, minimumSize: Int) {
        precondition(mask.count == width * height, "mask size mismatch")
        var open = padded(mask, width: width, height: height, openWhereNonZero: true)
        var queue = [Int32](repeating: 0, count: mask.count)
        let stride = width + 2
        for y in 0..<height {
            for x in 0..<width where open[(y + 1) * stride + x + 1] != 0 {
                let start = (y + 1) * stride + x + 1
                open[start] = 0
                queue[0] = Int32(start)
                let size = flood(count: 1, queue: &queue, open: &open, stride: stride)
                if size < minimumSize {
                    for k in 0..<size {
                        let p = Int(queue[k])
                        mask[(p / stride - 1) * width + p % stride - 1] = 0
                    }
                }
            }
        }
    }

    /// Sets every zero pixel that is not connected to the border to 255: holes become subject.
    static func fillHoles(_ mask: inout [UInt8], width: Int, height: Int) {
        precondition(mask.count == width * height, "mask size mismatch")
        var open = padded(mask, width: width, height: height, openWhereNonZero: false)
        var queue = [Int32](repeating: 0, count: mask.count)
        let stride = width + 2
        var count = 0
        func seed(_ x: Int, _ y: Int) {
            let p = (y + 1) * stride + x + 1
            if open[p] != 0 {
                open[p] = 0
                queue[count] = Int32(p)
                count += 1
            }
        }
        for x in 0..<width {
            seed(x, 0)
            seed(x, height - 1)
        }
        for y in 0..<height {
            seed(0, y)
            seed(width - 1, y)
        }
        _ = flood(count: count, queue: &queue, open: &open, stride: stride)
        // Background still open was never reached from the border: a hole.
        for y in 0..<height {
            for x in 0..<width where open[(y + 1) * stride + x + 1] != 0 { mask[y * width + x] = 255 }
        }
    }

    /// Sets to 255 every pixel whose `accepts` byte is non-zero and that is connected, through
    /// such pixels, to a non-zero pixel of `mask`: hysteresis growth from confident seeds into
    /// weaker evidence.
    static func grow(_ mask: inout [UInt8], width: Int, height: Int, accepts: [UInt8]) {
        precondition(mask.count == width * height && accepts.count == mask.count, "mask size mismatch")
        var open = padded(accepts, width: width, height: height, openWhereNonZero: true)
        var queue = [Int32](repeating: 0, count: mask.count)
        let stride = width + 2
        var count = 0
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] != 0 {
                let p = (y + 1) * stride + x + 1
                open[p] = 0
                queue[count] = Int32(p)
                count += 1
            }
        }
        _ = flood(count: count, queue: &queue, open: &open, stride: stride)
        // An accepted pixel is closed only once the flood reached it.
        for y in 0..<height {
            for x in 0..<width where accepts[y * width + x] != 0 && open[(y + 1) * stride + x + 1] == 0 {
                mask[y * width + x] = 255
            }
        }
    }

    /// A `(width + 2) × (height + 2)` copy of the plane's verdict (1 open, 0 closed) with a
    /// closed frame.
    private static func padded(_ plane: [UInt8], width: Int, height: Int, openWhereNonZero: Bool) -> [UInt8] {
        var open = [UInt8](repeating: 0, count: (width + 2) * (height + 2))
        let wanted: UInt8 = openWhereNonZero ? 1 : 0
        plane.withUnsafeBufferPointer { plane in
            open.withUnsafeMutableBufferPointer { open in
                for y in 0..<height {
                    let source = y * width
                    let target = (y + 1) * (width + 2) + 1
                    for x in 0..<width { open[target + x] = (plane[source + x] != 0 ? 1 : 0) == wanted ? 1 : 0 }
                }
            }
        }
        return open
    }

    /// Breadth-first from the first `count` queue entries (already closed), taking in open
    /// 4-neighbours and closing them, so each enters once. Returns how many entries the queue
    /// holds in the end: the pixels reached, seeds included.
    private static func flood(count: Int, queue: inout [Int32], open: inout [UInt8], stride: Int) -> Int {
        var end = count
        queue.withUnsafeMutableBufferPointer { queue in
            open.withUnsafeMutableBufferPointer { open in
                var next = 0
                while next < end {
                    let i = Int(queue[next])
                    next += 1
                    // Written out, not looped over a literal: no array per pixel.
                    if open[i - 1] != 0 {
                        open[i - 1] = 0
                        queue[end] = Int32(i - 1)
                        end += 1
                    }
                    if open[i + 1] != 0 {
                        open[i + 1] = 0
                        queue[end] = Int32(i + 1)
                        end += 1
                    }
                    if open[i - stride] != 0 {
                        open[i - stride] = 0
                        queue[end] = Int32(i - stride)
                        end += 1
                    }
                    if open[i + stride] != 0 {
                        open[i + stride] = 0
                        queue[end] = Int32(i + stride)
                        end += 1
                    }
                }
            }
        }
        return end
    }
}
