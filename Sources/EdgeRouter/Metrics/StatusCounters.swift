import RoutingCore
import Synchronization

/// Counts the status page reads back (a Prometheus counter cannot be read): failovers per deployment and hedges per
/// model. Made with the router for every deployment and model; a request only looks its counter up and adds one.
final class StatusCounters: Sendable {
    private let failovers: MetricTable<Tally>
    private let hedges: MetricTable<Tally>

    init(models: [Model]) {
        failovers = MetricTable(models: models) { _, _ in Tally() }
        hedges = MetricTable(models: models, key: \.modelName) { _, _ in Tally() }
    }

    /// Tallies for a reloaded configuration's deployments (see ``RouterMetrics/follow(_:dropping:)``).
    func follow(_ models: [Model], dropping: Bool) {
        failovers.follow(models, dropping: dropping)
        hedges.follow(models, dropping: dropping)
    }

    /// An attempt on `deployment` failed before its first token in a way that sends the request on to the next
    /// deployment (or ends it, when none is left).
    func recordFailover(from deployment: Deployment) {
        failovers[deployment.key]?.count.add(1, ordering: .relaxed)
    }

    /// A hedge of a request for `model` was started.
    func recordHedge(model: String) {
        hedges[model]?.count.add(1, ordering: .relaxed)
    }

    /// Failovers away from `deployment` since the router started.
    func failovers(from deployment: Deployment) -> Int {
        failovers[deployment.key]?.count.load(ordering: .relaxed) ?? 0
    }

    /// Hedges started for `model` since the router started.
    func hedges(of model: String) -> Int {
        hedges[model]?.count.load(ordering: .relaxed) ?? 0
    }

    private final class Tally: Sendable {
        let count = Atomic<Int>(0)
    }
}
