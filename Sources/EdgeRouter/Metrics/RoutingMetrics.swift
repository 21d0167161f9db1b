import Prometheus
import RoutingCore

/// Metrics of the routing brain, created for every deployment when the engine is built.
final class RoutingMetrics: RoutingObserver {
    private struct PerDeployment: Sendable {
        var decisions: [RouteReason: Counter]
        var transitions: [String: Counter]
        var state: Gauge
        var credentialFailures: Counter
        var openings: [CircuitBreaker.Reason: Counter]
        var suspicions: Counter
    }

    private let perDeployment: MetricTable<PerDeployment>
    private let hedges: MetricTable<[String: Counter]>
    static let reasons: [RouteReason] = [.best, .pinned, .order, .failover, .panic, .explore, .hedge]
    static let states = ["closed", "open", "half_open", "rate_limited"]
    /// The reasons a breaker opens for, each a label of `edge_breaker_openings_total`.
    static let openingReasons: [CircuitBreaker.Reason] = [
        .consecutiveFailures, .failureRate, .slowCallRate, .credentialsRejected, .trialFailed, .probeFailed, .misconfigured,
    ]

    init(models: [Model], registry: PrometheusCollectorRegistry) {
        let decisions = MetricNames.routeDecisions
        let transitions = MetricNames.breakerTransitions
        let state = MetricNames.breakerState
        let credentials = MetricNames.providerCredentialFailures
        let openings = MetricNames.breakerOpenings
        let suspicions = MetricNames.hangSuspicions
        let hedgesName = MetricNames.hedges
        perDeployment = MetricTable(models: models) { model, deployment in
            let labels = [("model", model.name), ("provider", deployment.provider.id)]
            return PerDeployment(
                decisions: Dictionary(uniqueKeysWithValues: Self.reasons.map {
                    ($0, registry.makeCounter(descriptor: decisions.descriptor, labels: labels + [("reason", $0.rawValue)]))
                }),
                transitions: Dictionary(uniqueKeysWithValues: Self.states.map {
                    ($0, registry.makeCounter(descriptor: transitions.descriptor, labels: labels + [("to", $0)]))
                }),
                state: registry.makeGauge(descriptor: state.descriptor, labels: labels),
                credentialFailures: registry.makeCounter(descriptor: credentials.descriptor, labels: labels),
                openings: Dictionary(uniqueKeysWithValues: Self.openingReasons.map {
                    ($0, registry.makeCounter(descriptor: openings.descriptor, labels: labels + [("reason", $0.rawValue)]))
                }),
                suspicions: registry.makeCounter(descriptor: suspicions.descriptor, labels: labels))
        }
        hedges = MetricTable(models: models, key: \.modelName) { model, _ in
            Dictionary(uniqueKeysWithValues: ["started", "won", "cancelled"].map {
                ($0, registry.makeCounter(descriptor: hedgesName.descriptor, labels: [("model", model.name), ("outcome", $0)]))
            })
        }
    }

    /// Series for a reloaded configuration's deployments (see ``RouterMetrics/follow(_:dropping:)``).
    func follow(_ models: [Model], dropping: Bool) {
        perDeployment.follow(models, dropping: dropping)
        hedges.follow(models, dropping: dropping)
    }

    func decided(_ runtime: DeploymentRuntime, reason: RouteReason) {
        perDeployment[runtime.deployment.key]?.decisions[reason]?.increment()
    }

    func transitioned(_ runtime: DeploymentRuntime, to state: CircuitBreaker.State, reason: CircuitBreaker.Reason) {
        guard let metrics = perDeployment[runtime.deployment.key] else { return }
        let (name, code) = state.nameAndCode
        metrics.transitions[name]?.increment()
        metrics.state.set(Double(code))
        if case .open = state { metrics.openings[reason]?.increment() }
    }

    func suspected(_ runtime: DeploymentRuntime) {
        perDeployment[runtime.deployment.key]?.suspicions.increment()
    }

    func credentialsRejected(_ runtime: DeploymentRuntime) {
        perDeployment[runtime.deployment.key]?.credentialFailures.increment()
    }

    func recordHedge(model: String, _ outcome: String) {
        hedges[model]?[outcome]?.increment()
    }
}
