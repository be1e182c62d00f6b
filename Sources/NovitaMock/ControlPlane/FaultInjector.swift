import Synchronization

/// What the matching fault does to one request.
struct FaultEffect: Sendable, Equatable {
    var ruleID: String
    var status: Int?
    var retryAfterSeconds: Int?
    var delayMs: Int
    var dropConnection: Bool
    var slowBodyBytesPerSecond: Int
}

/// The fault rules in force, first match wins (rules are tried in the order they were added).
final class FaultInjector: Sendable {
    private struct State {
        var rules: [FaultRule] = []
        var applied = 0
    }

    private let state = Mutex(State())
    /// The number of rules, kept beside `state` (written under its lock) so a request with no
    /// rule in force reads one atomic instead of taking the lock every poll thread shares.
    private let ruleCount = Atomic<Int>(0)
    private let random: RandomSource

    init(random: RandomSource) {
        self.random = random
    }

    /// Adds (or replaces, by id) a rule from its JSON form.
    func add(json object: JSONObject) throws(APIError) -> FaultRule {
        let rule = try FaultRule(json: object, id: "fault-" + random.uuid().prefix(8), seed: random.next())
        state.withLock { state in
            state.rules.removeAll { $0.id == rule.id }
            state.rules.append(rule)
            ruleCount.store(state.rules.count, ordering: .releasing)
        }
        return rule
    }

    func remove(id: String) -> Bool {
        state.withLock { state in
            let before = state.rules.count
            state.rules.removeAll { $0.id == id }
            ruleCount.store(state.rules.count, ordering: .releasing)
            return state.rules.count != before
        }
    }

    /// Removes every rule, or those scoped to one key.
    func removeAll(apiKey: String?) {
        state.withLock { state in
            state.rules.removeAll { apiKey == nil || $0.apiKey == apiKey }
            ruleCount.store(state.rules.count, ordering: .releasing)
        }
    }

    var rules: [FaultRule] { state.withLock { $0.rules } }
    /// Whether any rule is in force (one atomic read, no lock).
    var hasRules: Bool { ruleCount.load(ordering: .acquiring) > 0 }
    var appliedCount: Int { state.withLock { $0.applied } }

    /// The effect for a request, consuming one use of a counted rule and one draw of a
    /// probabilistic one.
    func effect(method: String, path: String, apiKey: String?, testID: String?) -> FaultEffect? {
        guard ruleCount.load(ordering: .acquiring) > 0 else { return nil }
        return state.withLock { state in
            for index in state.rules.indices {
                let rule = state.rules[index]
                guard rule.matches(method: method, path: path, apiKey: apiKey, testID: testID) else { continue }
                if let probability = rule.probability {
                    let draw = Double(state.rules[index].generator.next() >> 11) / Double(1 << 53)
                    if draw >= probability { continue }
                }
                if let remaining = rule.remainingTimes {
                    if remaining <= 1 {
                        state.rules.remove(at: index)
                        ruleCount.store(state.rules.count, ordering: .releasing)
                    } else {
                        state.rules[index].remainingTimes = remaining - 1
                    }
                }
                state.applied += 1
                return FaultEffect(
                    ruleID: rule.id, status: rule.status, retryAfterSeconds: rule.retryAfterSeconds,
                    delayMs: rule.delayMs, dropConnection: rule.dropConnection,
                    slowBodyBytesPerSecond: rule.slowBodyBytesPerSecond)
            }
            return nil
        }
    }
}
