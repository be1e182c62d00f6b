import CMicroHTTPD
import Glibc

/// The CPU the calling thread runs on, for state kept per CPU: threads running at the same time
/// are on different CPUs, so they never wait for each other's share (a thread moved right after
/// asking merely shares one for a moment). A vDSO call, no system call.
public enum CurrentCPU {
    public static var index: Int { Int(cmhd_current_cpu()) }

    /// How many shares every piece of state kept per CPU has (the in-flight count, the metrics,
    /// the request journal): the machine's CPUs rounded up to a power of two, at most 16 (CPUs
    /// beyond that share), so a share is picked with a mask.
    public static let shareCount: Int = {
        let cpus = min(max(Int(sysconf(Int32(_SC_NPROCESSORS_CONF))), 1), 16)
        var count = 1
        while count < cpus { count <<= 1 }
        return count
    }()

    /// The calling CPU's share, in `0..<shareCount`.
    public static var share: Int { index & (shareCount - 1) }
}
