import NIOHTTP1

/// The simulator's mutable state, behind its `Mutex`: behaviour, the seeded generator, the counters and whoever
/// waits on them.
struct SimulatorState {
    /// A task waiting in ``ProviderSimulator/waitForStats(timeout:_:)``; `id` finds it again on timeout or
    /// cancellation.
    struct StatsWaiter {
        var id: Int
        var predicate: @Sendable (SimulatorStats) -> Bool
        var continuation: CheckedContinuation<SimulatorStats, Never>
    }

    var settings: SimulatorSettings
    var random: SeededRandom
    var stats = SimulatorStats() {
        didSet { resumeSatisfiedWaiters() }
    }
    /// Numbers the answers' ids.
    var sequence = 0
    /// The headers of the last chat request received, for tests that check what a client sent upstream.
    var lastChatHeaders: HTTPHeaders?
    var waiters: [StatsWaiter] = []
    /// Numbers the waiters.
    var lastWaiterID = 0

    init(settings: SimulatorSettings) {
        self.settings = settings
        self.random = SeededRandom(seed: settings.seed)
    }

    /// Removes the waiter `id`, if it is still waiting, and resumes it with the counters as they are.
    mutating func resumeWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: stats)
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
