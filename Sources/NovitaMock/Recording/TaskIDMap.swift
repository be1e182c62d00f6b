import Synchronization

/// The mock's own task ids for the upstream's: the client polls and downloads through the mock,
/// so it must never see an id it would have to take to the upstream itself.
final class TaskIDMap: Sendable {
    struct Entry: Sendable {
        /// The upstream's (recorded) id.
        let upstream: String
        /// The tenant that submitted it: another key's poll is not shown this task.
        let tenant: String
        /// When the submit answered, on the mock's clock: replayed polls count from here.
        let startMs: Int64
    }

    private struct State {
        var byMock: [String: Entry] = [:]
        var latestByUpstream: [String: String] = [:]
    }

    private let state = Mutex(State())
    private let random: RandomSource

    /// - Parameter seed: with `--seed`, ids are drawn reproducibly, apart from the emulation's draws.
    init(seed: UInt64?) {
        random = RandomSource(seed: seed.map { $0 ^ 0x6361_7373_6574_7465 })
    }

    /// A new mock id for the upstream's `id` (replay: every replayed submit is a new task).
    func mint(forUpstream id: String, tenant: String, startMs: Int64) -> String {
        let mock = random.uuid()
        state.withLock {
            $0.byMock[mock] = Entry(upstream: id, tenant: tenant, startMs: startMs)
            $0.latestByUpstream[id] = mock
        }
        return mock
    }

    /// The mock id already given for `id`, or a new one (record: one upstream task, one mock id).
    func mockID(forUpstream id: String, tenant: String, startMs: Int64) -> String {
        if let known = state.withLock({ $0.latestByUpstream[id] }) { return known }
        return mint(forUpstream: id, tenant: tenant, startMs: startMs)
    }

    /// The mock id last given for the upstream's `id`, if any.
    func knownMockID(forUpstream id: String) -> String? {
        state.withLock { $0.latestByUpstream[id] }
    }

    func entry(forMock id: String) -> Entry? {
        state.withLock { $0.byMock[id] }
    }
}
