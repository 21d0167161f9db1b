import RoutingCore
import Synchronization

/// Counts the status page reads back (a Prometheus counter cannot be read): failovers per deployment and hedges per
/// model. Made with the router for every deployment and model; a request only looks its counter up and adds one.
final class StatusCounters: Sendable {
    private let failovers: [String: Tally]
    private let hedges: [String: Tally]

    init(models: [Model]) {
        var failovers: [String: Tally] = [:]
        var hedges: [String: Tally] = [:]
        for model in models {
            hedges[model.name] = Tally()
            for deployment in model.deployments { failovers[deployment.key] = Tally() }
        }
        self.failovers = failovers
        self.hedges = hedges
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
