import Glibc

/// CLOCK_MONOTONIC in nanoseconds: what `ContinuousClock` reads on Linux, as a plain integer.
/// Its `Instant` arithmetic goes through 128-bit `Duration`s, a measurable part of a poll; the
/// request path reads the clock a few times per call (docs/architecture.md, "Request path").
enum MonotonicClock {
    static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
