import Dispatch
import Glibc
import Testing

@testable import OutboundHTTP

/// Name resolution obeys the request's deadline: `getaddrinfo` has none of its own.
@Suite("NameResolver")
struct NameResolverTests {
    @Test func aLookupStillRunningAtTheDeadlineTimesOut() {
        let release = DispatchSemaphore(value: 0)
        // A resolver that answers only once the test lets it: it outlives any deadline.
        let stuck: NameResolver.Lookup = { _, _, numericOnly in
            if numericOnly { return nil }
            release.wait()
            return .success([])
        }
        #expect(throws: TransportFailure.timedOut) {
            try NameResolver.resolve(host: "slow.example", port: 80, before: Deadline(afterMs: 20), lookup: stuck)
        }
        release.signal()
    }

    @Test func aLookupThatAnswersInTimeGivesItsAddresses() throws {
        let answer = ResolvedAddress(family: AF_INET, socketType: 1, socketProtocol: 6, address: [1, 2, 3])
        let quick: NameResolver.Lookup = { _, _, numericOnly in numericOnly ? nil : .success([answer]) }
        let addresses = try NameResolver.resolve(
            host: "quick.example", port: 80, before: Deadline(afterMs: 60_000), lookup: quick)
        #expect(addresses.map(\.address) == [[1, 2, 3]])
    }

    @Test func aLookupFailureIsReported() {
        let failing: NameResolver.Lookup = { _, _, numericOnly in
            numericOnly ? nil : .failure(.connectFailed("could not resolve host nowhere.example"))
        }
        #expect(throws: TransportFailure.connectFailed("could not resolve host nowhere.example")) {
            try NameResolver.resolve(
                host: "nowhere.example", port: 80, before: Deadline(afterMs: 60_000), lookup: failing)
        }
    }

    /// Literal addresses are converted on the calling thread, even with no time left.
    @Test func literalAddressesNeedNoLookup() throws {
        let expired = Deadline(afterMs: 0)
        let v4 = try NameResolver.resolve(host: "127.0.0.1", port: 80, before: expired)
        #expect(v4.first?.family == AF_INET)
        let v6 = try NameResolver.resolve(host: "::1", port: 80, before: expired)
        #expect(v6.first?.family == AF_INET6)
    }
}
