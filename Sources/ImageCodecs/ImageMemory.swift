import CImageShims

/// The allocator setting image work wants, for the process to apply once at start.
public enum ImageMemory {
    /// Keeps freed blocks of up to `bytes` (default 32 MiB: a 2048² RGB raster is 12 MiB) in the
    /// heap instead of returning them to the kernel. A first image download allocates and frees
    /// a few multi-megabyte buffers (pixels, filtered rows, the file); returned, each is
    /// refaulted and zeroed page by page on its next use — measured: the first GET of a 1024²
    /// PNG ~14 → ~12 ms (BENCHMARKS.md, part (d)). The heap then holds up to `bytes` of free
    /// memory per malloc arena after a burst. Call before threads start; glibc only (elsewhere
    /// it does nothing and returns false).
    @discardableResult
    public static func keepFreedBuffers(upTo bytes: Int = 32 << 20) -> Bool {
        cis_keep_freed_buffers(max(0, bytes)) == 1
    }
}
