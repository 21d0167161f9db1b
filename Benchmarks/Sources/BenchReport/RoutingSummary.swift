import EdgeLoadCore

/// The routing-quality runs of a results folder, one per strategy, with the figures the report and the targets
/// compare.
struct RoutingSummary {
    struct Strategy {
        var id: String
        var name: String
        var report: LoadReport
        var scenario: ScenarioFigures

        var ttft: LoadReport.Percentiles? { report.ttftMs }

        /// Failed requests in phases where the schedule had at least one provider up (every failure there is one
        /// a client did not have to see).
        var errorsWhileUp: Int {
            scenario.phases.filter { $0.fastest != nil }.reduce(0) { $0 + $1.failed }
        }

        /// Share of the successful requests whose provider is known that went to the phase's fastest provider.
        var onFastest: Double? {
            var known = 0
            var fastest = 0
            for phase in scenario.phases {
                known += phase.servedBy.values.reduce(0, +)
                if let best = phase.fastest { fastest += phase.servedBy[best] ?? 0 }
            }
            return known == 0 ? nil : Double(fastest) / Double(known)
        }
    }

    let info: RunInfo.Routing
    /// The strategies that have results, in the order the run lists them.
    let strategies: [Strategy]

    /// Nil when the run has no routing results.
    init?(results: ResultSet) {
        guard let info = results.info.routing else { return nil }
        self.info = info
        strategies = info.strategies.compactMap { strategy in
            guard let report = results.routing[strategy.id], let scenario = report.scenario else { return nil }
            return Strategy(id: strategy.id, name: strategy.name, report: report, scenario: scenario)
        }
        if strategies.isEmpty { return nil }
    }

    func strategy(_ id: String) -> Strategy? {
        strategies.first { $0.id == id }
    }

    /// The schedule as every run saw it (they all ran the same one): the first run's phases.
    var phases: [ScenarioFigures.Phase] { strategies[0].scenario.phases }
    var providers: [String] { strategies[0].scenario.providers }
    var scheduleName: String { strategies[0].scenario.schedule }

    /// How late any run's phase changes were in place, at worst (ms).
    var worstApplyLateMs: Double? {
        strategies.flatMap { $0.scenario.phases.compactMap { phase in phase.appliedAtS.map { ($0 - phase.startS) * 1000 } } }.max()
    }
}
