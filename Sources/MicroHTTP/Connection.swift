/// A libmicrohttpd connection handle that may cross threads.
// Only suspend/resume use it off the poll thread, and MHD allows both from any thread.
struct Connection: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}
