/// What every early responder reads besides its own index: fault rules in force, the mock's
/// clock, the store's removal generation, and the recorder of what it answered.
///
/// Held unmanaged, read through `_withUnsafeGuaranteedRef`: the service that made the responders
/// holds all of these for longer than its server runs, and a counted reference would be counted
/// on every poll, by every poll thread, on the same few cache lines (even an `unowned(unsafe)`
/// one is retained around each call).
struct EarlyAnswerContext: Sendable {
    private let store: Unmanaged<TaskStore>
    private let clock: Unmanaged<MockClock>
    private let faults: Unmanaged<FaultInjector>
    let recorder: RequestRecorder

    init(store: TaskStore, clock: MockClock, faults: FaultInjector, recorder: RequestRecorder) {
        self.store = .passUnretained(store)
        self.clock = .passUnretained(clock)
        self.faults = .passUnretained(faults)
        self.recorder = recorder
    }

    /// Whether any fault rule is in force (one atomic read): then the pipeline answers.
    var faultRulesInForce: Bool { faults._withUnsafeGuaranteedRef { $0.hasRules } }

    /// The mock clock's now.
    var nowMs: Int64 { clock._withUnsafeGuaranteedRef { $0.nowMs() } }

    /// `TaskStore.removalGeneration`: an entry stamped with an older one is the pipeline's again.
    var removalGeneration: Int { store._withUnsafeGuaranteedRef { $0.removalGeneration } }
}
