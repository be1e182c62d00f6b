import CMicroHTTPD

/// The CPU the calling thread runs on, for state kept per CPU: threads running at the same time
/// are on different CPUs, so they never wait for each other's share (a thread moved right after
/// asking merely shares one for a moment). A vDSO call, no system call.
public enum CurrentCPU {
    public static var index: Int { Int(cmhd_current_cpu()) }
}
