import Testing

/// Options whose values would overflow once turned into bytes or milliseconds are refused at
/// start with a usage error, instead of trapping.
@Suite("Out-of-range options")
struct OutOfRangeOptionTests {
    @Test(arguments: [
        (["--task-ttl", "99999999999999999"], "--task-ttl must be in 1…315360000"),
        (["--max-body-mb", "99999999999999999"], "--max-body-mb must be in 1…1048576 MiB"),
        (["--max-buffered-body-mb", "99999999999999999"], "--max-buffered-body-mb must be in --max-body-mb (64)"),
        (["--max-body-mb", "64", "--max-buffered-body-mb", "10"], "--max-buffered-body-mb must be in --max-body-mb"),
        (["--image-cache-mb", "99999999999999999"], "--image-cache-mb must be in 0…1048576 MiB"),
        (["--webhook-timeout-ms", "10000000000000"], "--webhook-timeout-ms must be in 1…600000"),
    ])
    func refusedWithAUsageError(arguments: [String], message: String) throws {
        let (status, output) = try StartupRefusal.run(arguments)
        #expect(status == 64, "\(output)")
        #expect(output.contains(message), "\(output)")
    }
}
