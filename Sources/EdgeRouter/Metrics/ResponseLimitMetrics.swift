import Prometheus
import RoutingCore

/// `edge_responses_too_large_total{model,provider}`: non-streaming answers refused because they grew past
/// `server.max_response_bytes`. Created for every deployment when the router is built, so a scrape shows zeros
/// from the start.
struct ResponseLimitMetrics: Sendable {
    private let counters: MetricTable<Counter>

    init(configuration: RouterConfiguration, registry: PrometheusCollectorRegistry) {
        let metric = MetricNames.responsesTooLarge
        counters = MetricTable(models: configuration.models) { model, deployment in
            registry.makeCounter(descriptor: metric.descriptor, labels: [("model", model.name), ("provider", deployment.provider.id)])
        }
    }

    /// Series for a reloaded configuration's deployments (see ``RouterMetrics/follow(_:dropping:)``).
    func follow(_ models: [Model], dropping: Bool) {
        counters.follow(models, dropping: dropping)
    }

    func record(deployment: Deployment) {
        counters[deployment.key]?.increment()
    }
}
