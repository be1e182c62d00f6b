/// Why an `HTTPServer` could not be created.
public enum HTTPServerError: Error, Sendable, Equatable {
    /// libmicrohttpd did not start: a bad address, a port in use, too many threads… The text says which.
    case startFailed(String)
}
