/// Why an object could not be stored, as one sentence a user can act on; it becomes the failed
/// task's reason.
struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    let message: String

    init(_ message: String) {
        self.message = message
    }

    init(message: String) {
        self.message = message
    }

    var description: String { message }
}
