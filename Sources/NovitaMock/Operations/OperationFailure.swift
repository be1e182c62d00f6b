/// Why an operation could not run on its inputs, named by the request field at fault, so the
/// caller can answer 400 the way the validator does.
struct OperationFailure: Error, Sendable, Equatable {
    var field: String
    var message: String
}
