/// What a routing run measured, phase by phase, with what the schedule did in each phase: the part of a
/// ``LoadReport`` that `edge-load route` adds.
public struct ScenarioFigures: Codable, Sendable {
    /// One phase of the schedule and the requests that started in it.
    public struct Phase: Codable, Sendable {
        public var name: String
        public var description: String?
        /// Start and length, in seconds of the measured window.
        public var startS: Double
        public var durationS: Double
        /// When its changes were in place on every simulator, in seconds of the window (the first phase's are
        /// applied before the warm-up).
        public var appliedAtS: Double?
        /// Each provider's settings in the phase, described (`80 ms normal (sd 10)`, `down (503 on every request)`).
        public var providers: [String: String]
        /// The provider with the lowest expected TTFT by the schedule (the oracle's choice); nil when all are down.
        public var fastest: String?
        public var started: Int
        public var succeeded: Int
        public var failed: Int
        public var errors: [String: Int]
        public var ttftMs: LoadReport.Percentiles?
        /// Successful requests by the provider that served them, when known.
        public var servedBy: [String: Int]
    }

    public var schedule: String
    /// `url` (a proxy routes), `round-robin` or `oracle` (edge-load picks the simulator).
    public var strategy: String
    public var phaseSeconds: Double
    /// Provider names in the schedule's order.
    public var providers: [String]
    public var phases: [Phase]

    init(plan: ScenarioPlan, strategy: TargetStrategy, requests: [RequestRecord], appliedAt: [Double]) {
        let schedule = plan.schedule
        self.schedule = schedule.name
        self.strategy = strategy.rawValue
        phaseSeconds = plan.phaseSeconds
        let names = schedule.providers.map(\.name)
        providers = names
        var buckets = Array(repeating: [RequestRecord](), count: schedule.phases.count)
        for request in requests {
            buckets[schedule.phase(atOffset: Double(request.startNanos) / 1e9, phaseSeconds: plan.phaseSeconds)]
                .append(request)
        }
        phases = schedule.phases.enumerated().map { index, phase in
            let states = schedule.state(phase: index)
            let bucket = buckets[index]
            var errors: [String: Int] = [:]
            var servedBy: [String: Int] = [:]
            for request in bucket {
                if let failure = request.failure {
                    errors[failure.name, default: 0] += 1
                } else if let server = request.servedBy {
                    servedBy[server, default: 0] += 1
                }
            }
            let failed = errors.values.reduce(0, +)
            return Phase(
                name: phase.name, description: phase.description,
                startS: Double(index) * plan.phaseSeconds, durationS: plan.phaseSeconds,
                appliedAtS: index == 0 ? nil : appliedAt.indices.contains(index - 1) ? appliedAt[index - 1] : nil,
                providers: Dictionary(uniqueKeysWithValues: zip(names, states.map(\.summary))),
                fastest: schedule.fastest(phase: index).map { names[$0] },
                started: bucket.count, succeeded: bucket.count - failed, failed: failed, errors: errors,
                ttftMs: bucket.ttftPercentiles(), servedBy: servedBy)
        }
    }
}
