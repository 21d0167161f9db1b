import Prometheus
import RoutingCore

/// `edge_responses_too_large_total{model,provider}`: non-streaming answers refused because they grew past
/// `server.max_response_bytes`. Created for every deployment when the router is built, so a scrape shows zeros
/// from the start.
struct ResponseLimitMetrics: Sendable {
    private let counters: [String: Counter]

    init(configuration: RouterConfiguration, registry: PrometheusCollectorRegistry) {
        let descriptor = MetricNames.responsesTooLarge.descriptor
        var counters: [String: Counter] = [:]
        for model in configuration.models {
            for deployment in model.deployments {
                counters[deployment.key] = registry.makeCounter(
                    descriptor: descriptor, labels: [("model", model.name), ("provider", deployment.provider.id)])
            }
        }
        self.counters = counters
    }

    func record(deployment: Deployment) {
        counters[deployment.key]?.increment()
    }
}
