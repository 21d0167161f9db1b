import NIOCore

/// Applies a ``SimSchedule`` to the simulators of a run: every simulator reset to its first phase before the
/// run starts, then each later phase's changes at the phase's start, on the same clock as the load.
enum ScheduleApplier {
    /// Puts every simulator in its first-phase state, with its random sequence restarted from its seed, so every
    /// run of the same schedule (every strategy) meets the same simulators.
    static func reset(_ scenario: ScenarioPlan, on group: any EventLoopGroup) async throws(LoadError) {
        for (sim, settings) in zip(scenario.sims, scenario.schedule.state(phase: 0)) {
            let url = sim.url.with(path: "/_sim/config")
            // The simulator restarts its sequence only when the seed changes: pass through another seed first.
            let seed = settings.seed ?? 1
            try await SimConfigClient.post(SimSettings(seed: seed &+ 1).configJSON, to: url, on: group)
            try await SimConfigClient.post(settings.configJSON, to: url, on: group)
        }
    }

    /// Applies phases 1 onwards, each when it starts; returns, per phase from 1, when its changes were all in
    /// place, in seconds after the window opened (nothing without a scenario).
    static func applyPhases(
        _ scenario: ScenarioPlan?, windowStart: ContinuousClock.Instant, on group: any EventLoopGroup
    ) async throws -> [Double] {
        guard let scenario else { return [] }
        var applied: [Double] = []
        for (index, phase) in scenario.schedule.phases.enumerated().dropFirst() {
            let due = windowStart + .nanoseconds(Int64(Double(index) * scenario.phaseSeconds * 1e9))
            try await Task.sleep(until: due, clock: .continuous)
            for (sim, provider) in zip(scenario.sims, scenario.schedule.providers) {
                guard let change = phase.changes[provider.name] else { continue }
                try await SimConfigClient.post(change.configJSON, to: sim.url.with(path: "/_sim/config"), on: group)
            }
            let elapsed = ContinuousClock.now - windowStart
            applied.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return applied
    }
}
