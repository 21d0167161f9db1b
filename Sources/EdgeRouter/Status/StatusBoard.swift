import Foundation
import GeoIP
import RoutingCore

/// What the status page knows and how it is put together: takes the history samples and makes snapshots from the
/// routing engine, the probes, the counters and the history. Off the request path: it runs every sample interval,
/// on each page view, and once per live-update interval while someone watches.
final class StatusBoard: Sendable {
    let settings: StatusSettings
    let history: StatusHistory
    private let engine: RoutingEngine
    private let probes: ProbeScheduler?
    private let metrics: RouterMetrics
    private let resolver: GeoIPResolver
    private let region: String?
    /// The checksum of the configuration served now (a reload replaces it).
    private let checksum: @Sendable () -> String?
    private let started = ContinuousClock.now
    private let cache: CacheMetrics?

    init(
        configuration: RouterConfiguration, engine: RoutingEngine, probes: ProbeScheduler?, metrics: RouterMetrics, resolver: GeoIPResolver,
        cache: CacheMetrics? = nil, checksum: @escaping @Sendable () -> String?
    ) {
        self.cache = cache
        settings = configuration.status
        history = StatusHistory(deploymentKeys: engine.runtimes.map(\.deployment.key), capacity: configuration.status.historyCapacity)
        self.engine = engine
        self.probes = probes
        self.metrics = metrics
        self.resolver = resolver
        region = configuration.status.region ?? configuration.geo.fleet?.selfID
        self.checksum = checksum
    }

    /// Follows a reloaded configuration's deployments: new ones get an empty history, removed ones lose theirs.
    func follow(deploymentKeys: [String]) {
        history.follow(deploymentKeys: deploymentKeys, capacity: settings.historyCapacity)
    }

    /// Adds the current state of every deployment to its history.
    func sample() {
        let now = MonotonicTime.now()
        let at = ContinuousClock.now
        let samples = engine.runtimes.map { runtime in
            let (estimate, breaker, _, _) = runtime.snapshot(now: now)
            return (
                key: runtime.deployment.key,
                sample: StatusSample(
                    at: at, hasEstimate: estimate.hasData, expectedNanos: estimate.meanNanos, p50Nanos: estimate.p50Nanos,
                    p90Nanos: estimate.p90Nanos, p99Nanos: estimate.p99Nanos, breakerCode: breaker.nameAndCode.code,
                    decisions: runtime.decisions.load(ordering: .relaxed),
                    failovers: metrics.status.failovers(from: runtime.deployment),
                    modelHedges: metrics.status.hedges(of: runtime.deployment.modelName)))
        }
        history.record(samples)
    }

    /// Everything the page shows, now.
    func snapshot() -> StatusSnapshot {
        let now = MonotonicTime.now()
        let instant = ContinuousClock.now
        let rings = history.copy()
        let minuteAgo = instant - .seconds(60)
        let models = engine.adminView(now: now).map { view -> ModelStatus in
            let ranked = view.plan.candidates.map(\.runtime)
            let unranked = view.runtimes.filter { runtime in !ranked.contains { $0 === runtime } }
            let listed = ranked.enumerated().map { (Optional($0 + 1), $1) } + unranked.map { (Int?.none, $0) }
            // Rates over the last minute: from the newest sample at least a minute old (or the oldest one) to now.
            let decisionsInWindow = listed.map { _, runtime in
                let baseline = rings[runtime.deployment.key]?.baseline(notAfter: minuteAgo)
                return runtime.decisions.load(ordering: .relaxed) - (baseline?.decisions ?? 0)
            }
            let modelDecisions = decisionsInWindow.reduce(0, +)
            var deployments: [DeploymentStatus] = []
            var modelFailovers = 0.0
            for ((rank, runtime), decisions) in zip(listed, decisionsInWindow) {
                let ring = rings[runtime.deployment.key]
                let baseline = ring?.baseline(notAfter: minuteAgo)
                let failovers = Self.perMinute(
                    metrics.status.failovers(from: runtime.deployment) - (baseline?.failovers ?? 0), since: baseline?.at, now: instant)
                modelFailovers += failovers
                deployments.append(
                    deployment(
                        runtime, rank: rank, now: now, instant: instant, samples: ring?.samples ?? [],
                        share: modelDecisions > 0 ? Self.rounded(Double(decisions) / Double(modelDecisions), places: 3) : nil,
                        failoversPerMinute: failovers))
            }
            let hedgeBaseline = view.runtimes.first.flatMap { rings[$0.deployment.key]?.baseline(notAfter: minuteAgo) }
            return ModelStatus(
                name: view.model.name, objective: view.model.routing.objective.rawValue, routeReason: view.plan.reason.rawValue,
                hedgesPerMinute: Self.perMinute(
                    metrics.status.hedges(of: view.model.name) - (hedgeBaseline?.modelHedges ?? 0), since: hedgeBaseline?.at, now: instant),
                failoversPerMinute: Self.rounded(modelFailovers, places: 1), deployments: deployments)
        }
        return StatusSnapshot(generatedAt: Self.timestamp(Date()), node: nodeFacts(instant), models: models)
    }

    private func deployment(
        _ runtime: DeploymentRuntime, rank: Int?, now: UInt64, instant: ContinuousClock.Instant, samples: [StatusSample],
        share: Double?, failoversPerMinute: Double
    ) -> DeploymentStatus {
        let (estimate, breaker, _, lastFailure) = runtime.snapshot(now: now)
        func ms(_ nanos: UInt64) -> Double? { estimate.hasData ? Self.rounded(Double(nanos) / 1e6, places: 1) : nil }
        var reason: String?
        var retryInMs: Int?
        switch breaker {
        case .open(let until, let why):
            reason = why.rawValue
            retryInMs = Int(until > now ? (until - now) / 1_000_000 : 0)
        case .rateLimited(let until):
            reason = CircuitBreaker.Reason.rateLimited.rawValue
            retryInMs = Int(until > now ? (until - now) / 1_000_000 : 0)
        case .closed, .halfOpen:
            break
        }
        let deployment = runtime.deployment
        return DeploymentStatus(
            provider: deployment.provider.id, upstreamModel: deployment.upstreamModel, region: deployment.provider.region,
            dialect: deployment.provider.dialect.rawValue, rank: rank, breaker: breaker.nameAndCode.name, breakerReason: reason,
            retryInMs: retryInMs, lastFailure: lastFailure, suspect: runtime.isSuspect(now: now), expectedMs: ms(estimate.meanNanos),
            p50Ms: ms(estimate.p50Nanos), p90Ms: ms(estimate.p90Nanos), p99Ms: ms(estimate.p99Nanos), samples: estimate.sampleCount,
            confidence: estimate.hasData ? Self.rounded(estimate.confidence, places: 2) : nil, trafficShare: share,
            inFlight: runtime.inFlight.load(ordering: .relaxed), failoversPerMinute: failoversPerMinute,
            probe: probes?.latestProbe(of: deployment).map { ProbeStatus($0) },
            chart: StatusChart(samples: samples, now: instant, window: settings.historyWindow))
    }

    private func nodeFacts(_ instant: ContinuousClock.Instant) -> NodeFacts {
        let database = resolver.locationDatabase?.metadata
        return NodeFacts(
            version: EdgeRouterVersion.current, uptimeSeconds: Int((instant - started) / .seconds(1)), region: region,
            configChecksum: checksum(),
            geoipDatabaseDate: database.map { Self.date(Date(timeIntervalSince1970: TimeInterval($0.buildEpoch))) },
            geoipDatabaseType: database?.databaseType, hedgeBudgetAvailable: Self.rounded(engine.hedgeBudget.availableHedges, places: 1),
            requestsInFlight: metrics.requestsInFlight, cacheHitRatio: cache?.hitRatio.map { Self.rounded($0, places: 3) },
            cacheHits: cache?.hits ?? 0, cacheMisses: cache?.misses ?? 0)
    }

    /// Events per minute: `count` events since `since`, over at least a minute (all of them happened within the
    /// last minute when the window is younger than that).
    static func perMinute(_ count: Int, since: ContinuousClock.Instant?, now: ContinuousClock.Instant) -> Double {
        let seconds = since.map { max((now - $0) / .seconds(1), 60) } ?? 60
        return rounded(Double(max(count, 0)) * 60 / seconds, places: 1)
    }

    static func rounded(_ value: Double, places: Int) -> Double {
        let scale = places == 1 ? 10.0 : places == 2 ? 100.0 : 1000.0
        return (value * scale).rounded() / scale
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    static func date(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle().year().month().day())
    }
}

extension ProbeStatus {
    /// The page's view of a probe summary.
    init(_ summary: ProbeSummary) {
        let result = summary.result
        func ms(_ duration: Duration?) -> Double? { ProbeSummary.ms(duration) }
        dnsMs = ms(result.dns) ?? 0
        connectMs = ms(result.tcpConnect) ?? 0
        tlsMs = ms(result.tlsHandshake) ?? 0
        firstByteMs = ms(result.timeToFirstByte)
        firstTokenMs = ms(result.timeToFirstToken)
        status = result.httpStatus
        error = result.error?.message
        ageSeconds = Int((ContinuousClock.now - summary.at) / .seconds(1))
        // Boundaries from the start: DNS, then connect, then TLS, then the wait for the first byte and token.
        let edges: [(String, Double)] = [
            ("dns", dnsMs), ("connect", dnsMs + connectMs), ("tls", dnsMs + connectMs + tlsMs),
            ("first_byte", firstByteMs ?? 0), ("first_token", firstTokenMs ?? 0),
        ]
        let total = max(edges.map(\.1).max() ?? 0, 0.001)
        var segments: [PhaseSegment] = []
        var previous = 0.0
        for (phase, end) in edges where end > previous {
            segments.append(
                PhaseSegment(
                    phase: phase, x: StatusBoard.rounded(previous / total * 100, places: 1),
                    width: StatusBoard.rounded((end - previous) / total * 100, places: 1)))
            previous = end
        }
        bar = segments
    }
}
