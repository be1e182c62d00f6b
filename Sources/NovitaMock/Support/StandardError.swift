#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Raw writes to file descriptor 2, unbuffered, so log lines survive a crash.
enum StandardError {
    static func write(_ pointer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
            return Int(unistd_write(2, pointer, count))
        #else
            return count
        #endif
    }
}

#if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
    @inline(__always) private func unistd_write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        write(fd, buffer, count)
    }
#endif
