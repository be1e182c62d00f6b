import Testing

@testable import NovitaMock

@Suite("A dropped service frees its task store")
struct ServiceLifetimeTests {
    private final class WeakBox<Object: AnyObject>: @unchecked Sendable {  // written once, before any read
        weak var object: Object?
        init(_ object: Object) { self.object = object }
    }

    /// The lifecycle driver and the store must not keep each other alive: a leaked store keeps
    /// its timer and every task of every test that built a service.
    @Test func theStoreIsFreedWithItsService() async throws {
        var harness: ServiceHarness? = ServiceHarness()
        _ = try harness?.submitOK(Fixtures.body())
        let store = WeakBox(harness!.service.store)
        harness = nil
        // A tick already running on the driver's queue holds the store until it returns: wait for
        // that event, bounded generously.
        let deadline = ContinuousClock.now + .seconds(10)
        while store.object != nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(store.object == nil)
    }
}
