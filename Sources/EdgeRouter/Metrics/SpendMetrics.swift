import Prometheus
import RequestLog
import RoutingCore

/// Spend and tokens as metrics: `edge_cost_usd_total{model,provider}` and `edge_tokens_total{model,provider,kind}`,
/// created for every deployment when the router is built, so a scrape shows zeros from the start.
struct SpendMetrics: Sendable {
    private struct DeploymentCounters: Sendable {
        var cost: Counter
        var input: Counter
        var output: Counter
        var cacheRead: Counter
        var cacheWrite: Counter
        var reasoning: Counter
    }

    private let counters: MetricTable<DeploymentCounters>

    init(configuration: RouterConfiguration, registry: PrometheusCollectorRegistry) {
        let cost = MetricNames.cost
        let tokens = MetricNames.tokens
        counters = MetricTable(models: configuration.models) { model, deployment in
            let labels = [("model", model.name), ("provider", deployment.provider.id)]
            func tokenCounter(_ kind: String) -> Counter { registry.makeCounter(descriptor: tokens.descriptor, labels: labels + [("kind", kind)]) }
            return DeploymentCounters(
                cost: registry.makeCounter(descriptor: cost.descriptor, labels: labels), input: tokenCounter("input"),
                output: tokenCounter("output"), cacheRead: tokenCounter("cache_read"), cacheWrite: tokenCounter("cache_write"),
                reasoning: tokenCounter("reasoning"))
        }
    }

    /// Series for a reloaded configuration's deployments (see ``RouterMetrics/follow(_:dropping:)``).
    func follow(_ models: [Model], dropping: Bool) {
        counters.follow(models, dropping: dropping)
    }

    func record(deployment: Deployment, tokens: RequestRecord.Tokens, costUSD: Double) {
        guard let counters = counters[deployment.key] else { return }
        counters.cost.increment(by: costUSD)
        counters.input.increment(by: Int64(tokens.input))
        counters.output.increment(by: Int64(tokens.output))
        counters.cacheRead.increment(by: Int64(tokens.cacheRead))
        counters.cacheWrite.increment(by: Int64(tokens.cacheWrite))
        counters.reasoning.increment(by: Int64(tokens.reasoning))
    }
}

/// The request log writer's metrics: queue depth, batch latency, rows written, dropped and failed batches; and,
/// with the PostgreSQL sink, rows spooled and the spool's depth (zero with SQLite, so that a scrape always has them).
struct RequestLogMetrics: RequestLogObserver {
    private let depth: Gauge
    private let batchSeconds: DurationHistogram
    private let written: Counter
    private let dropped: Counter
    private let failures: Counter
    private let spooled: Counter
    private let spoolRows: Gauge

    init(registry: PrometheusCollectorRegistry) {
        depth = registry.makeGauge(descriptor: MetricNames.logQueueDepth.descriptor)
        batchSeconds = registry.makeDurationHistogram(
            descriptor: MetricNames.logBatch.descriptor,
            buckets: [
                .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5),
            ])
        written = registry.makeCounter(descriptor: MetricNames.logRowsWritten.descriptor)
        dropped = registry.makeCounter(descriptor: MetricNames.logRowsDropped.descriptor)
        failures = registry.makeCounter(descriptor: MetricNames.logBatchFailures.descriptor)
        spooled = registry.makeCounter(descriptor: MetricNames.logRowsSpooled.descriptor)
        spoolRows = registry.makeGauge(descriptor: MetricNames.logSpoolRows.descriptor)
    }

    func batchWritten(rows: Int, seconds: Double) {
        written.increment(by: Int64(rows))
        batchSeconds.record(.nanoseconds(Int64(max(0, min(seconds, 3600)) * 1e9)))
    }

    func queueDepth(_ depth: Int) { self.depth.set(Int64(depth)) }
    func rowsDropped(_ rows: Int) { dropped.increment(by: Int64(rows)) }
    func batchFailed() { failures.increment() }
    func rowsSpooled(_ rows: Int) { spooled.increment(by: Int64(rows)) }
    func spoolDepth(_ depth: Int) { spoolRows.set(Int64(depth)) }
}
