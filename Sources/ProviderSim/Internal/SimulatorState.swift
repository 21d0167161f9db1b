/// The simulator's mutable state, behind its `Mutex`: behaviour, the seeded generator, the counters and whoever
/// waits on them.
struct SimulatorState {
    var settings: SimulatorSettings
    var random: SeededRandom
    var stats = SimulatorStats() {
        didSet { resumeSatisfiedWaiters() }
    }
    /// Numbers the answers' ids.
    var sequence = 0
    var waiters: [(predicate: @Sendable (SimulatorStats) -> Bool, continuation: CheckedContinuation<SimulatorStats, Never>)] = []

    init(settings: SimulatorSettings) {
        self.settings = settings
        self.random = SeededRandom(seed: settings.seed)
    }

    private mutating func resumeSatisfiedWaiters() {
        guard !waiters.isEmpty else { return }
        let stats = self.stats
        waiters.removeAll { waiter in
            guard waiter.predicate(stats) else { return false }
            waiter.continuation.resume(returning: stats)
            return true
        }
    }
}
