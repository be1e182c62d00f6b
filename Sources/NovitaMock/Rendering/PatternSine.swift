/// A 1024-step sine table in fixed point (amplitude 1024), built with integer arithmetic only.
///
/// libm's `sin` may differ in the last bit between platforms, which could flip a rounded pixel;
/// Bhaskara I's rational approximation (error < 0.2 %) in exact integer arithmetic cannot.
/// Angles throughout the pattern are in 1/65536 of a period; `value(at:)` takes such an angle.
enum PatternSine {
    /// Table length: one period.
    static let steps = 1024
    /// The peak value.
    static let amplitude = 1024

    /// `table[i] ≈ 1024 · sin(2π · i / 1024)`.
    static let table: [Int32] = (0..<steps).map { step in
        let half = steps / 2
        let magnitude = halfWave(step % half, of: half)
        return Int32(step < half ? magnitude : -magnitude)
    }

    /// Bhaskara I: sin(πt/n) ≈ 16p / (5 − 4p) with p = t(n − t)/n², rounded to nearest.
    private static func halfWave(_ t: Int, of n: Int) -> Int {
        let p = t * (n - t)  // p / n² is the normalised product
        let numerator = 16 * p * amplitude
        let denominator = 5 * n * n - 4 * p
        return (2 * numerator + denominator) / (2 * denominator)
    }

    /// The sine of an angle given in 1/65536 of a period (any integer; wraps).
    @inline(__always)
    static func value(at angle: Int, in table: UnsafeBufferPointer<Int32>) -> Int {
        Int(table[(angle >> 6) & (steps - 1)])
    }
}
