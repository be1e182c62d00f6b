/// The one place that turns header dimensions into a size verdict.
enum PixelLimit {
    static func check(width: Int, height: Int, format: ImageFormat, maxPixels: Int) throws(ImageCodecError) {
        guard width > 0, height > 0 else {
            throw .corrupt(format, "zero width or height (\(width)x\(height))")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maxPixels else {
            throw .tooManyPixels(width: width, height: height, limit: maxPixels)
        }
    }
}
