/// How long a simulated generation takes (docs/contract.md §5):
/// `duration = base + per_step × steps × image_num × (width × height / 512²)`, divided by
/// `--speed` (0 = instant). The defaults put a 512×512, 20-step, one-image task at 1.5 s from
/// submit to SUCCEED: 100 ms QUEUED, then 1.4 s PROCESSING.
struct TimingModel: Sendable, Equatable {
    /// Fixed cost of a task in PROCESSING (model load, VAE decode …).
    var baseMs: Double = 400
    /// Cost of one step of one 512×512 image.
    var perStepMs: Double = 50
    /// How long a task waits QUEUED before a free slot takes it (the dispatcher's latency), so
    /// that a client polling at once sees QUEUED as it would on the real service.
    var dispatchMs: Double = 100
    /// `--speed`: 2 is twice as fast, 0 instant.
    var speed: Double = 1

    var isInstant: Bool { speed == 0 }

    /// Time in PROCESSING, in mock milliseconds.
    func processingMs(steps: Int, imageNum: Int, width: Int, height: Int) -> Int64 {
        guard speed > 0 else { return 0 }
        let megapixelFactor = Double(width * height) / Double(512 * 512)
        let raw = baseMs + perStepMs * Double(steps) * Double(imageNum) * megapixelFactor
        return Int64((raw / speed).rounded())
    }

    /// An endpoint's own modelled time (mock ms) divided by `--speed`.
    func scaled(_ rawMs: Double) -> Int64 {
        guard speed > 0 else { return 0 }
        return Int64((rawMs / speed).rounded())
    }

    /// The least time in QUEUED, in mock milliseconds.
    var queueMs: Int64 {
        guard speed > 0 else { return 0 }
        return Int64((dispatchMs / speed).rounded())
    }
}
