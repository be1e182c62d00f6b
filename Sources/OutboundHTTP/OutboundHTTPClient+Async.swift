import Dispatch

extension OutboundHTTPClient {
    /// `send` for async callers: the blocking exchange runs on a thread of its own (a fresh serial
    /// queue, which libdispatch serves from its overcommitting pool), so the caller's executor —
    /// two threads on a two-core machine — keeps running other tasks while this one waits.
    ///
    /// This is what the test tiers and `NovitaMockTesting` talk HTTP with: FoundationNetworking's
    /// URLSession watches libcurl's sockets with dispatch sources and, on Linux, can crash the
    /// whole process when a server goes away mid-connection ("Source finalized twice" in
    /// libdispatch; swift-corelibs-foundation#4791).
    public func response(to request: OutboundRequest) async -> Result<OutboundResponse, OutboundError> {
        await withCheckedContinuation { continuation in
            DispatchQueue(label: "novita-mock.outbound-http").async {
                continuation.resume(returning: self.send(request))
            }
        }
    }
}
