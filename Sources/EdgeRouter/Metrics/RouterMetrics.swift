import Prometheus
import RoutingCore
import Synchronization

/// The router's Prometheus metrics. Every metric object is created here, when the router is built, for every
/// deployment and outcome of the configuration; a request only looks its deployment's set up and increments.
public final class RouterMetrics: Sendable {
    /// Outcomes a client request can have, as counted in `edge_requests_total`.
    public enum Outcome: String, Sendable, CaseIterable {
        /// Answered in full.
        case ok
        /// Failed before the first token, after every attempt.
        case failed
        /// Rejected before any attempt (auth, validation, unknown model).
        case rejected
        /// Broke off after the first token.
        case interrupted
        /// The client went away first.
        case cancelled
        /// The client stopped reading for longer than `server.timeouts.client_stall_ms` and was cut.
        case clientStalled = "client_stalled"
    }

    /// The registry that `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let perDeployment: MetricTable<DeploymentMetrics>
    private let unrouted: [Outcome: Counter]
    private let inFlight: Gauge
    private let clientStalls: Counter
    private let nodeReady: Gauge
    /// `edge_ttft_estimate_seconds` by deployment key.
    private let estimates: MetricTable<EstimateGauges>
    private let activity = RequestActivity()
    /// Requests and first tokens by client location.
    let clientGeo: ClientGeoMetrics
    /// Non-streaming answers refused for their size.
    let responseLimit: ResponseLimitMetrics
    /// Decisions, breaker transitions and hedges: the routing engine's observer.
    let routing: RoutingMetrics
    /// Failovers and hedges, for the status page.
    let status: StatusCounters
    /// Configuration reloads and the loaded file's checksum.
    let reloads: ReloadMetrics

    /// Gives the deployments of a reloaded configuration their series: `dropping: false` before the new
    /// configuration is published (so that its first request finds them), `true` after (so that removed
    /// deployments' series are no longer updated).
    func follow(_ models: [Model], dropping: Bool) {
        perDeployment.follow(models, dropping: dropping)
        estimates.follow(models, dropping: dropping)
        routing.follow(models, dropping: dropping)
        status.follow(models, dropping: dropping)
        responseLimit.follow(models, dropping: dropping)
    }

    /// Chat requests being served now.
    public var requestsInFlight: Int { activity.inFlight.load(ordering: .relaxed) }
    /// Chat requests started since the router started (a counter to tell whether anything happened lately).
    public var requestsStarted: Int { activity.started.load(ordering: .relaxed) }

    /// A chat request started (after validation, before its first attempt).
    func requestStarted() {
        inFlight.increment()
        activity.inFlight.add(1, ordering: .relaxed)
        activity.started.add(1, ordering: .relaxed)
    }

    /// A chat request that `requestStarted` counted is over, whatever its outcome.
    func requestEnded() {
        inFlight.decrement()
        activity.inFlight.subtract(1, ordering: .relaxed)
    }

    private struct DeploymentMetrics: Sendable {
        var outcomes: [Outcome: Counter]
        var failures: [AttemptFailure.Cause: Counter]
        var interruptions: Counter
        var ttft: DurationHistogram
        var ttfb: DurationHistogram
        var duration: DurationHistogram
    }

    /// Latency buckets from 5 ms to 2 minutes: LLM first tokens span that whole range.
    static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(75),
        .milliseconds(100), .milliseconds(150), .milliseconds(200), .milliseconds(300), .milliseconds(500),
        .milliseconds(750), .seconds(1), .milliseconds(1500), .seconds(2), .seconds(3), .seconds(5),
        .seconds(10), .seconds(20), .seconds(30), .seconds(60), .seconds(120),
    ]

    public init(configuration: RouterConfiguration, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        routing = RoutingMetrics(models: configuration.models, registry: registry)
        status = StatusCounters(models: configuration.models)
        let requests = MetricNames.requests
        let failures = MetricNames.attemptFailures
        let interruptions = MetricNames.streamInterruptions
        let ttft = MetricNames.timeToFirstToken
        let ttfb = MetricNames.timeToFirstByte
        let duration = MetricNames.requestDuration

        self.perDeployment = MetricTable(models: configuration.models) { model, deployment in
            let labels = [("model", model.name), ("provider", deployment.provider.id)]
            return DeploymentMetrics(
                outcomes: Dictionary(
                    uniqueKeysWithValues: Outcome.allCases.map {
                        ($0, registry.makeCounter(descriptor: requests.descriptor, labels: labels + [("outcome", $0.rawValue)]))
                    }),
                failures: Dictionary(
                    uniqueKeysWithValues: AttemptFailure.Cause.allCases.map {
                        ($0, registry.makeCounter(descriptor: failures.descriptor, labels: labels + [("cause", $0.rawValue)]))
                    }),
                interruptions: registry.makeCounter(descriptor: interruptions.descriptor, labels: labels),
                ttft: registry.makeDurationHistogram(descriptor: ttft.descriptor, labels: labels, buckets: Self.latencyBuckets),
                ttfb: registry.makeDurationHistogram(descriptor: ttfb.descriptor, labels: labels, buckets: Self.latencyBuckets),
                duration: registry.makeDurationHistogram(descriptor: duration.descriptor, labels: labels, buckets: Self.latencyBuckets)
            )
        }
        self.unrouted = Dictionary(
            uniqueKeysWithValues: Outcome.allCases.map {
                ($0, registry.makeCounter(descriptor: requests.descriptor, labels: [("model", ""), ("provider", ""), ("outcome", $0.rawValue)]))
            })
        self.clientGeo = ClientGeoMetrics(registry: registry, countries: configuration.geo.metricCountries)
        self.responseLimit = ResponseLimitMetrics(configuration: configuration, registry: registry)
        self.clientStalls = registry.makeCounter(descriptor: MetricNames.clientStalls.descriptor)
        self.inFlight = registry.makeGauge(descriptor: MetricNames.requestsInFlight.descriptor)
        self.nodeReady = registry.makeGauge(descriptor: MetricNames.nodeReady.descriptor)
        self.estimates = MetricTable(models: configuration.models) { model, deployment in
            let labels = [("model", model.name), ("provider", deployment.provider.id)]
            func gauge(_ stat: String) -> Gauge {
                let gauge = registry.makeGauge(descriptor: MetricNames.ttftEstimate.descriptor, labels: labels + [("stat", stat)])
                // No sample yet is no TTFT, not a TTFT of 0 (which a "lowest TTFT" panel would show as the best).
                gauge.set(Double.nan)
                return gauge
            }
            return EstimateGauges(expected: gauge("expected"), p50: gauge("p50"), p90: gauge("p90"), p99: gauge("p99"))
        }
        self.reloads = ReloadMetrics(registry: registry)
    }

    /// Brings the scrape-time gauges up to date: the estimates live in the routing engine and readiness in the
    /// server, and copying them at each scrape keeps the request path free of gauge updates.
    func refreshBeforeScrape(engine: RoutingEngine, ready: Bool) {
        nodeReady.set(ready ? 1.0 : 0.0)
        let now = MonotonicTime.now()
        for runtime in engine.runtimes {
            guard let gauges = estimates[runtime.deployment.key] else { continue }
            gauges.set(runtime.snapshot(now: now).estimate)
        }
    }

    func recordFirstToken(deployment: Deployment, ttfb: Duration, ttft: Duration) {
        guard let metrics = perDeployment[deployment.key] else { return }
        metrics.ttfb.record(ttfb)
        metrics.ttft.record(ttft)
    }

    func recordAttemptFailure(deployment: Deployment, cause: AttemptFailure.Cause) {
        perDeployment[deployment.key]?.failures[cause]?.increment()
    }

    /// A client stopped reading its stream for too long and was cut.
    func recordClientStall() {
        clientStalls.increment()
    }

    func recordInterruption(deployment: Deployment) {
        perDeployment[deployment.key]?.interruptions.increment()
    }

    /// Counts a finished client request; `deployment` is the one that answered, nil when none did.
    func recordRequest(_ outcome: Outcome, deployment: Deployment?, duration: Duration) {
        guard let deployment, let metrics = perDeployment[deployment.key] else {
            unrouted[outcome]?.increment()
            return
        }
        metrics.outcomes[outcome]?.increment()
        metrics.duration.record(duration)
    }
}

/// One deployment's `edge_ttft_estimate_seconds` series. `expected` is what the default objective ranks on (the
/// level's mean, its tail included); p50, p90 and p99 are the decayed quantiles.
private struct EstimateGauges: Sendable {
    let expected: Gauge
    let p50: Gauge
    let p90: Gauge
    let p99: Gauge

    func set(_ estimate: TTFTEstimate) {
        func seconds(_ nanos: UInt64) -> Double { estimate.hasData ? Double(nanos) / 1e9 : Double.nan }
        expected.set(seconds(estimate.meanNanos))
        p50.set(seconds(estimate.p50Nanos))
        p90.set(seconds(estimate.p90Nanos))
        p99.set(seconds(estimate.p99Nanos))
    }
}

/// The request counts the process itself reads (the Prometheus gauge cannot be read back).
private final class RequestActivity: Sendable {
    let inFlight = Atomic<Int>(0)
    let started = Atomic<Int>(0)
}
